using System.Buffers.Binary;
using System.Net.Sockets;
using EtlFast.WireServer.Commands;
using EtlFast.WireServer.Protocol;
using EtlFast.WireServer.Storage;
using MongoDB.Bson;

namespace EtlFast.WireServer;

/// <summary>One client connection: read a message, answer it, repeat (drivers do not pipeline).</summary>
internal sealed class Connection
{
    /// <summary>maxMessageSizeBytes plus room for a header and checksum.</summary>
    private const int MaxMessageLength = 48_000_000 + 16 * 1024;

    private readonly WireServer server;
    private readonly Socket socket;
    private readonly NetworkStream stream;

    public Connection(WireServer server, Socket socket, int id)
    {
        this.server = server;
        this.socket = socket;
        stream = new NetworkStream(socket, ownsSocket: true);
        Id = id;
    }

    public int Id { get; }

    public void Close()
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        stream.Dispose();
    }

    public async Task RunAsync(CancellationToken stopping)
    {
        var header = new byte[16];
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                if (!await ReadExactAsync(header, 0, 16, stopping).ConfigureAwait(false))
                {
                    return;
                }
                int length = BinaryPrimitives.ReadInt32LittleEndian(header);
                int requestId = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(4));
                var opCode = (OpCode)BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(12));
                if (length < 21 || length > MaxMessageLength)
                {
                    server.Log?.Invoke($"conn{Id}: message length {length} out of range; closing");
                    return;
                }
                var message = new byte[length];
                header.CopyTo(message, 0);
                if (!await ReadExactAsync(message, 16, length - 16, stopping).ConfigureAwait(false))
                {
                    return;
                }
                if (opCode is not (OpCode.Msg or OpCode.Query))
                {
                    // mongod 6+ closes the connection on removed legacy opcodes; OP_COMPRESSED is never
                    // negotiated because hello offers no compressors.
                    server.Log?.Invoke($"conn{Id}: opcode {(int)opCode} not implemented; closing");
                    return;
                }
                WireRequest request;
                try
                {
                    request = WireRequest.Parse(opCode, requestId, message, length);
                }
                catch (FormatException e)
                {
                    server.Log?.Invoke($"conn{Id}: malformed message: {e.Message}; closing");
                    return;
                }
                var reply = await AnswerAsync(request, stopping).ConfigureAwait(false);
                if (reply is null)
                {
                    continue;
                }
                var delay = server.Faults.ReplyDelay;
                if (delay > TimeSpan.Zero)
                {
                    await server.HoldReplyAsync(delay, stopping).ConfigureAwait(false);
                }
                await stream.WriteAsync(reply, stopping).ConfigureAwait(false);
            }
        }
        catch (ConnectionDropRequestedException)
        {
            server.Log?.Invoke($"conn{Id}: dropped by fault injection");
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (IOException)
        {
            // The client went away.
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            Close();
        }
    }

    private async Task<byte[]?> AnswerAsync(WireRequest request, CancellationToken stopping)
    {
        if (request.OpCode == OpCode.Query)
        {
            return await AnswerQueryAsync(request, stopping).ConfigureAwait(false);
        }
        if (!request.Body.TryGetValue("$db", out var db) || !db.IsString)
        {
            var missing = CommandDispatcher.ErrorReply(new CommandException(40571, "Location40571", "OP_MSG requests require a $db argument"));
            return WireReply.Msg(request.RequestId, missing);
        }
        var ctx = new CommandContext(server, Id, request, db.AsString, stopping);
        server.Record(new ReceivedCommand("OP_MSG", ctx.Database, ctx.Name, request.Body, Id));
        var document = await CommandDispatcher.ExecuteAsync(ctx).ConfigureAwait(false);
        // moreToCome from the client (w:0 writes) means no reply is expected.
        return (request.Flags & MsgFlags.MoreToCome) != 0 ? null : WireReply.Msg(request.RequestId, document);
    }

    /// <summary>Legacy OP_QUERY: only the handshake (isMaster/hello on db.$cmd) is answered.</summary>
    private async Task<byte[]> AnswerQueryAsync(WireRequest request, CancellationToken stopping)
    {
        string ns = request.QueryNamespace!;
        int dot = ns.IndexOf('.', StringComparison.Ordinal);
        string database = dot > 0 ? ns[..dot] : ns;
        string name = request.Body.ElementCount > 0 ? request.Body.GetElement(0).Name : "";
        server.Record(new ReceivedCommand("OP_QUERY", database, name, request.Body, Id));
        if (!ns.EndsWith(".$cmd", StringComparison.Ordinal))
        {
            var failure = CommandException.NotImplemented($"legacy OP_QUERY on a collection ('{ns}'); use the find command over OP_MSG");
            return WireReply.Reply(request.RequestId, QueryFailure(failure), queryFailure: true);
        }
        // The driver authenticates over OP_QUERY when the handshake was legacy: PLAIN, when enabled, is answered there too.
        if (name is not ("isMaster" or "ismaster" or "hello") && !(name == "saslStart" && server.PlainUser is not null))
        {
            var failure = CommandException.NotImplemented($"command '{name}' over legacy OP_QUERY (only the isMaster/hello handshake)");
            return WireReply.Reply(request.RequestId, CommandDispatcher.ErrorReply(failure));
        }
        var ctx = new CommandContext(server, Id, request, database, stopping);
        var document = await CommandDispatcher.ExecuteAsync(ctx).ConfigureAwait(false);
        return WireReply.Reply(request.RequestId, document);
    }

    private static byte[] QueryFailure(CommandException e) => BsonDocumentBytes.Serialize(new BsonDocument
    {
        { "$err", e.Message },
        { "code", e.Code },
        { "ok", 0.0 },
    });

    private async Task<bool> ReadExactAsync(byte[] buffer, int offset, int count, CancellationToken stopping)
    {
        while (count > 0)
        {
            int n = await stream.ReadAsync(buffer.AsMemory(offset, count), stopping).ConfigureAwait(false);
            if (n == 0)
            {
                return false;
            }
            offset += n;
            count -= n;
        }
        return true;
    }
}
