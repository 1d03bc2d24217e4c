using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using EtlFast.WireServer.Protocol;
using MongoDB.Bson;

namespace EtlFast.Core.Tests.WireServerTests;

using WireServer = EtlFast.WireServer.WireServer;

/// <summary>Frames the official driver never sends (checksums, kind-1 sections built by hand, bad input).</summary>
public sealed class RawWireTests
{
    private static byte[] Msg(int requestId, BsonDocument body, bool checksum, string? sequenceName = null, IEnumerable<BsonDocument>? sequence = null)
    {
        var m = new MemoryStream();
        m.Write(new byte[16]);
        m.Write(BitConverter.GetBytes(checksum ? 1u : 0u));
        m.WriteByte(0);
        m.Write(body.ToBson());
        if (sequenceName is not null)
        {
            var docs = new MemoryStream();
            foreach (var d in sequence!)
            {
                docs.Write(d.ToBson());
            }
            var name = Encoding.UTF8.GetBytes(sequenceName);
            m.WriteByte(1);
            m.Write(BitConverter.GetBytes(4 + name.Length + 1 + (int)docs.Length));
            m.Write(name);
            m.WriteByte(0);
            m.Write(docs.ToArray());
        }
        if (checksum)
        {
            m.Write(new byte[4]);
        }
        var bytes = m.ToArray();
        BinaryPrimitives.WriteInt32LittleEndian(bytes, bytes.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), requestId);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(12), 2013);
        if (checksum)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4), Crc32C.Compute(bytes.AsSpan(0, bytes.Length - 4)));
        }
        return bytes;
    }

    /// <summary>Reads one reply; returns (opCode, responseTo, document) or null when the server closed.</summary>
    private static async Task<(int OpCode, int ResponseTo, BsonDocument Doc)?> ReadReply(NetworkStream stream)
    {
        var header = new byte[16];
        if (!await ReadExactly(stream, header))
        {
            return null;
        }
        int length = BinaryPrimitives.ReadInt32LittleEndian(header);
        var rest = new byte[length - 16];
        Assert.True(await ReadExactly(stream, rest));
        int opCode = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(12));
        int docStart = opCode == 2013 ? 5 : 20;
        var doc = BsonSerializerHelper.Parse(rest.AsSpan(docStart).ToArray());
        return (opCode, BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(8)), doc);
    }

    private static async Task<bool> ReadExactly(NetworkStream stream, byte[] buffer)
    {
        try
        {
            await stream.ReadExactlyAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            return true;
        }
        catch (EndOfStreamException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    [Fact]
    public void Crc32C_matches_the_standard_check_value()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
    }

    [Fact]
    public async Task Checksummed_OP_MSG_with_a_kind1_insert_is_answered()
    {
        await using var server = new WireServer();
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", server.Port);
        var stream = tcp.GetStream();

        var insert = Msg(7, new BsonDocument { { "insert", "c" }, { "$db", "db" } }, checksum: true, "documents",
            [new BsonDocument("_id", 2), new BsonDocument("_id", 1), new BsonDocument("x", "no id")]);
        await stream.WriteAsync(insert);
        var reply = await ReadReply(stream);
        Assert.NotNull(reply);
        Assert.Equal(2013, reply.Value.OpCode);
        Assert.Equal(7, reply.Value.ResponseTo);
        Assert.Equal(3, reply.Value.Doc["n"].ToInt32());

        await stream.WriteAsync(Msg(8, new BsonDocument { { "find", "c" }, { "$db", "db" }, { "batchSize", 2 } }, checksum: false));
        var find = (await ReadReply(stream))!.Value.Doc;
        var first = find["cursor"]["firstBatch"].AsBsonArray;
        Assert.Equal(new BsonValue[] { 1, 2 }, first.Select(d => d["_id"]).ToArray());
        Assert.IsType<BsonInt64>(find["cursor"]["id"]);
        Assert.NotEqual(0L, find["cursor"]["id"].AsInt64);
        Assert.Equal("db.c", find["cursor"]["ns"].AsString);
    }

    [Fact]
    public async Task Legacy_OP_QUERY_handshake_gets_an_OP_REPLY()
    {
        await using var server = new WireServer();
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", server.Port);
        var stream = tcp.GetStream();
        var m = new MemoryStream();
        m.Write(new byte[16]);
        m.Write(BitConverter.GetBytes(0));
        m.Write("admin.$cmd\0"u8);
        m.Write(BitConverter.GetBytes(0));
        m.Write(BitConverter.GetBytes(-1));
        m.Write(new BsonDocument { { "isMaster", 1 }, { "helloOk", true } }.ToBson());
        var bytes = m.ToArray();
        BinaryPrimitives.WriteInt32LittleEndian(bytes, bytes.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), 99);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(12), 2004);
        await stream.WriteAsync(bytes);

        var reply = (await ReadReply(stream))!.Value;
        Assert.Equal(1, reply.OpCode);
        Assert.Equal(99, reply.ResponseTo);
        var hello = reply.Doc;
        Assert.True(hello["ismaster"].AsBoolean);
        Assert.Equal(21, hello["maxWireVersion"].AsInt32);
        Assert.Equal(48_000_000, hello["maxMessageSizeBytes"].AsInt32);
        Assert.Equal(30, hello["logicalSessionTimeoutMinutes"].AsInt32);
        Assert.True(hello["helloOk"].AsBoolean);
        Assert.IsType<BsonInt64>(hello["topologyVersion"]["counter"]);
    }

    [Fact]
    public async Task Bad_checksum_closes_the_connection()
    {
        await using var server = new WireServer();
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", server.Port);
        var stream = tcp.GetStream();
        var ping = Msg(1, new BsonDocument { { "ping", 1 }, { "$db", "admin" } }, checksum: true);
        ping[^1] ^= 0xFF;
        await stream.WriteAsync(ping);
        Assert.Null(await ReadReply(stream));
    }

    [Fact]
    public async Task MoreToCome_request_gets_no_reply_but_is_executed()
    {
        await using var server = new WireServer();
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", server.Port);
        var stream = tcp.GetStream();
        var insert = Msg(1, new BsonDocument { { "insert", "c" }, { "$db", "db" }, { "documents", new BsonArray { new BsonDocument("_id", 1) } } }, checksum: false);
        BinaryPrimitives.WriteUInt32LittleEndian(insert.AsSpan(16), 2); // moreToCome: w:0
        await stream.WriteAsync(insert);
        await stream.WriteAsync(Msg(2, new BsonDocument { { "count", "c" }, { "$db", "db" } }, checksum: false));
        var reply = (await ReadReply(stream))!.Value;
        Assert.Equal(2, reply.ResponseTo); // the first request got no reply
        Assert.Equal(1, reply.Doc["n"].ToInt32());
    }

    [Fact]
    public async Task Refusal_names_the_option_exactly()
    {
        await using var server = new WireServer();
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", server.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Msg(1, new BsonDocument { { "find", "c" }, { "$db", "db" }, { "tailable", true } }, checksum: false));
        var doc = (await ReadReply(stream))!.Value.Doc;
        Assert.Equal(new BsonDocument
        {
            { "ok", 0.0 }, { "errmsg", "wire test server does not implement option 'tailable' of command 'find'" },
            { "code", 115 }, { "codeName", "CommandNotSupported" },
        }, doc);
    }
}

internal static class BsonSerializerHelper
{
    public static BsonDocument Parse(byte[] bytes) => MongoDB.Bson.Serialization.BsonSerializer.Deserialize<BsonDocument>(bytes);
}
