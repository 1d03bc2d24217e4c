using MongoDB.Bson;

namespace EtlFast.WireServer.Commands;

/// <summary>hello/isMaster (polling and streaming), ping, buildInfo, endSessions.</summary>
internal static class ServerCommands
{
    /// <summary>MongoDB 7.0's wire version: inside MongoDB.Driver 3.x's supported range (4.4 = 9 .. 9.1 = 30).</summary>
    public const int MaxWireVersion = 21;

    public static async Task<BsonDocument> HelloAsync(CommandContext ctx)
    {
        // The streaming monitor sends topologyVersion + maxAwaitTimeMS and expects the reply to be held
        // until the topology changes (it never does here) or the time runs out.
        if (ctx.Body.TryGetValue("topologyVersion", out var tv) && tv is BsonDocument clientVersion
            && ctx.Body.TryGetValue("maxAwaitTimeMS", out var wait) && wait.IsNumeric)
        {
            bool sameTopology = clientVersion.TryGetValue("processId", out var pid) && pid == ctx.Server.ProcessId
                && clientVersion.TryGetValue("counter", out var counter) && counter.IsNumeric && counter.ToInt64() == 0;
            long waitMs = wait.ToInt64();
            if (waitMs < 0)
            {
                throw CommandException.BadValue("maxAwaitTimeMS must be a non-negative integer");
            }
            if (sameTopology)
            {
                await ctx.Server.HoldReplyAsync(TimeSpan.FromMilliseconds(Math.Min(waitMs, int.MaxValue)), ctx.Cancellation).ConfigureAwait(false);
            }
        }
        return Hello(ctx.Server, ctx.ConnectionId, legacy: ctx.Name != "hello");
    }

    public static BsonDocument Hello(WireServer server, int connectionId, bool legacy) => new()
    {
        { legacy ? "ismaster" : "isWritablePrimary", true },
        { "topologyVersion", new BsonDocument { { "processId", server.ProcessId }, { "counter", 0L } } },
        { "maxBsonObjectSize", 16 * 1024 * 1024 },
        { "maxMessageSizeBytes", 48_000_000 },
        { "maxWriteBatchSize", 100_000 },
        { "localTime", new BsonDateTime(DateTime.UtcNow) },
        { "logicalSessionTimeoutMinutes", 30 },
        { "connectionId", connectionId },
        { "minWireVersion", 0 },
        { "maxWireVersion", MaxWireVersion },
        { "readOnly", false },
        { "helloOk", true },
        { "ok", 1.0 },
    };

    public static BsonDocument BuildInfo() => new()
    {
        { "version", "7.0.0" },
        { "gitVersion", "etlfast-wire-test-server" },
        { "versionArray", new BsonArray { 7, 0, 0, 0 } },
        { "bits", 64 },
        { "debug", false },
        { "maxBsonObjectSize", 16 * 1024 * 1024 },
        { "storageEngines", new BsonArray { "memory" } },
        { "ok", 1.0 },
    };
}
