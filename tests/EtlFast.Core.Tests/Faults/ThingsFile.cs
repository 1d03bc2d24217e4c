using EtlFast.Core.Tests.TestSupport;
using MongoDB.Bson;
using Npgsql;

namespace EtlFast.Core.Tests.Faults;

/// <summary>A .bson file of "things" being built: good and bad documents in order, with their byte offsets.</summary>
internal sealed class ThingsFile
{
    private readonly MemoryStream _bytes = new();

    public List<BsonDocument> Good { get; } = [];

    /// <summary>Each bad document: its bytes, its _id and its byte offset in the file.</summary>
    public List<(byte[] Bytes, long Id, long Offset, BadKind Kind)> Bad { get; } = [];

    /// <summary>Byte offset of each document, in file order.</summary>
    public List<long> Offsets { get; } = [];

    public long Length => _bytes.Length;

    public void AddGood(long id, int pad = 0)
    {
        BsonDocument d = ThingsData.Good(id, pad);
        Offsets.Add(_bytes.Length);
        _bytes.Write(d.ToBson());
        Good.Add(d);
    }

    public void AddBad(BadKind kind, long id, int pad = 0)
    {
        byte[] b = ThingsData.Bad(kind, id, pad);
        Offsets.Add(_bytes.Length);
        Bad.Add((b, kind.DuplicateOf ?? id, _bytes.Length, kind));
        _bytes.Write(b);
    }

    public void AddRaw(byte[] bytes) => _bytes.Write(bytes);

    public byte[] ToArray() => _bytes.ToArray();

    public string Write(ScratchDir dir, string name = "things.bson") => dir.Write(name, ToArray());

    public static string WriteMapping(ScratchDir dir) => dir.Write("things.json", ThingsData.MappingJson);

    /// <summary>The tables hold exactly the rows of <paramref name="good"/> (columns, types, values; nothing more).</summary>
    public static void AssertTables(string schema, IEnumerable<BsonDocument> good)
    {
        (ExpectedTable things, ExpectedTable tags) = ThingsData.Expected(good);
        using NpgsqlConnection conn = TestPg.Open();
        TableAssert.Matches(conn, schema, things);
        TableAssert.Matches(conn, schema, tags);
    }
}
