using MongoDB.Bson;
using MongoDB.Driver;

namespace EtlFast.Core.Tests.WireServerTests;

using WireServer = EtlFast.WireServer.WireServer;

public sealed class LoadBsonFileTests
{
    /// <summary>{_id: n, a: 1, a: 2}: duplicate names, which a BsonDocument round trip could not keep.</summary>
    private static byte[] DuplicateNameDocument(int id)
    {
        var m = new MemoryStream();
        m.Write(new byte[4]);
        m.WriteByte(0x10); m.Write("_id\0"u8); m.Write(BitConverter.GetBytes(id));
        m.WriteByte(0x10); m.Write("a\0"u8); m.Write(BitConverter.GetBytes(1));
        m.WriteByte(0x10); m.Write("a\0"u8); m.Write(BitConverter.GetBytes(2));
        m.WriteByte(0);
        var bytes = m.ToArray();
        BitConverter.GetBytes(bytes.Length).CopyTo(bytes, 0);
        return bytes;
    }

    [Fact]
    public async Task Loaded_dump_documents_come_back_byte_for_byte_in_id_order()
    {
        string path = Path.Combine(Path.GetTempPath(), $"wire-load-{Guid.NewGuid():N}.bson");
        var docs = new[] { 3, 1, 2 }.Select(DuplicateNameDocument).ToArray();
        await File.WriteAllBytesAsync(path, docs.SelectMany(d => d).ToArray());
        try
        {
            await using var server = new WireServer();
            Assert.Equal(3, server.LoadBsonFile("sample_db", "dups", path));
            using var client = WireKit.Client(server);
            var raw = client.GetDatabase("sample_db").GetCollection<RawBsonDocument>("dups")
                .FindSync(new BsonDocument(), new FindOptions<RawBsonDocument> { BatchSize = 1 }).ToList();
            var got = raw.Select(r =>
            {
                var b = new byte[r.Slice.Length];
                r.Slice.GetBytes(0, b, 0, b.Length);
                return b;
            }).ToList();
            Assert.Equal(new[] { docs[1], docs[2], docs[0] }, got);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Truncated_dump_and_duplicate_ids_are_rejected()
    {
        string path = Path.Combine(Path.GetTempPath(), $"wire-load-{Guid.NewGuid():N}.bson");
        try
        {
            await using var server = new WireServer();
            var doc = new BsonDocument("_id", 1).ToBson();
            await File.WriteAllBytesAsync(path, doc.Concat(doc.Take(7)).ToArray());
            Assert.Throws<InvalidDataException>(() => server.LoadBsonFile("db", "c", path));
            await File.WriteAllBytesAsync(path, doc.Concat(doc).ToArray());
            var e = Assert.Throws<InvalidOperationException>(() => server.LoadBsonFile("db", "c", path));
            Assert.Contains("duplicate _id 1", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
