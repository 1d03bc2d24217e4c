using EtlFast.WireServer.Storage;
using MongoDB.Bson;

namespace EtlFast.WireServer.Commands;

/// <summary>Routes a command by name; anything not listed is refused with code 115 and its name.</summary>
internal static class CommandDispatcher
{
    public static async Task<byte[]> ExecuteAsync(CommandContext ctx)
    {
        try
        {
            return await RouteAsync(ctx).ConfigureAwait(false);
        }
        catch (CommandException e)
        {
            return ErrorReply(e);
        }
        catch (ConnectionDropRequestedException)
        {
            throw;
        }
        catch (OperationCanceledException) when (ctx.Cancellation.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // a bug in one handler must become an error reply, not a dead connection
        catch (Exception e)
#pragma warning restore CA1031
        {
            ctx.Server.Log?.Invoke($"internal error in '{ctx.Name}': {e}");
            return ErrorReply(new CommandException(1, "InternalError", $"wire test server internal error in '{ctx.Name}': {e.GetType().Name}: {e.Message}"));
        }
    }

    public static byte[] ErrorReply(CommandException e)
    {
        var reply = new BsonDocument
        {
            { "ok", 0.0 },
            { "errmsg", e.Message },
            { "code", e.Code },
            { "codeName", e.CodeName },
        };
        if (e.ErrorLabels.Count > 0)
        {
            reply.Add("errorLabels", new BsonArray(e.ErrorLabels));
        }
        return BsonDocumentBytes.Serialize(reply);
    }

    private static async Task<byte[]> RouteAsync(CommandContext ctx)
    {
        switch (ctx.Name)
        {
            case "hello":
            case "isMaster":
            case "ismaster":
                CheckHello(ctx);
                return Bytes(await ServerCommands.HelloAsync(ctx).ConfigureAwait(false));
            case "ping":
                ctx.CheckOptions();
                return Bytes(new BsonDocument("ok", 1.0));
            case "buildInfo":
            case "buildinfo":
                ctx.CheckOptions();
                return Bytes(ServerCommands.BuildInfo());
            case "endSessions":
                // Sessions hold nothing here, so ending them is a no-op.
                return Bytes(new BsonDocument("ok", 1.0));
            case "find":
                return FindCommands.Find(ctx);
            case "getMore":
                return await FindCommands.GetMoreAsync(ctx).ConfigureAwait(false);
            case "killCursors":
                return Bytes(FindCommands.KillCursors(ctx));
            case "count":
                return Bytes(FindCommands.Count(ctx));
            case "aggregate":
                return AggregateCommand.Run(ctx);
            case "insert":
                return Bytes(InsertCommand.Run(ctx));
            case "update":
                return Bytes(WriteCommands.Update(ctx));
            case "delete":
                return Bytes(WriteCommands.Delete(ctx));
            case "listCollections":
                return CatalogCommands.ListCollections(ctx);
            case "listIndexes":
                return CatalogCommands.ListIndexes(ctx);
            case "listDatabases":
                return Bytes(CatalogCommands.ListDatabases(ctx));
            case "create":
                return Bytes(CatalogCommands.Create(ctx));
            case "drop":
                return Bytes(CatalogCommands.Drop(ctx));
            case "dropDatabase":
                return Bytes(CatalogCommands.DropDatabase(ctx));
            case "saslStart" when ctx.Server.PlainUser is not null && ctx.Body.GetValue("mechanism", "").ToString() == "PLAIN":
                return Bytes(PlainSaslStart(ctx, ctx.Server.PlainUser.Value));
            case "saslStart":
            case "saslContinue":
            case "authenticate":
            case "getnonce":
            case "logout":
                throw CommandException.NotImplemented($"command '{ctx.Name}' (authentication: SCRAM is not supported, connect without credentials)");
            case "":
                throw CommandException.BadValue("empty command document");
            default:
                throw CommandException.NotImplemented($"command '{ctx.Name}'");
        }
    }

    /// <summary>SASL PLAIN (RFC 4616) in one step: the payload is authzid NUL user NUL password.</summary>
    private static BsonDocument PlainSaslStart(CommandContext ctx, (string User, string Password) accepted)
    {
        string[] parts = System.Text.Encoding.UTF8.GetString(ctx.Body["payload"].AsBsonBinaryData.Bytes).Split('\0');
        if (parts.Length != 3 || parts[1] != accepted.User || parts[2] != accepted.Password)
        {
            throw new CommandException(18, "AuthenticationFailed", "Authentication failed.");
        }
        return new BsonDocument { { "conversationId", 1 }, { "done", true }, { "payload", new BsonBinaryData([]) }, { "ok", 1.0 } };
    }

    private static void CheckHello(CommandContext ctx)
    {
        ctx.CheckOptions(
            "helloOk", "client", "compression", "saslSupportedMechs", "speculativeAuthenticate",
            "topologyVersion", "maxAwaitTimeMS", "loadBalanced", "hostInfo", "backpressure");
        if (ctx.Flag("loadBalanced"))
        {
            throw CommandException.NotImplemented("load-balanced mode (hello with loadBalanced: true)");
        }
    }

    private static byte[] Bytes(BsonDocument document) => BsonDocumentBytes.Serialize(document);
}
