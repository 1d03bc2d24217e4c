using EtlFast.Core.Tests.TestSupport;
using MongoDB.Bson;
using Npgsql;

namespace EtlFast.Core.Tests.Load;

/// <summary>
/// A document holding a mapped field name twice at one level ({v: "first", v: "second"}), at the top,
/// in an array item, above mapped fields, or inside a subdocument stored as jsonb: loading would keep
/// one value and drop the other without a word, so the load refuses it by name (exit 4), or rejects it
/// (exit 1) and loads the rest. Unmapped repeats, and json (which keeps both as text), load.
/// </summary>
public sealed class RepeatedFieldTests : IDisposable
{
    private readonly Schemas _schemas = new();
    private readonly ScratchDir _dir = new();

    public void Dispose()
    {
        _schemas.Dispose();
        _dir.Dispose();
    }

    private const string Mapping = """
        {"collection": "things", "tables": [
          {"name": "things", "onMissing": "null", "columns": [
            {"name": "id", "type": "bigint", "from": "_id", "onMissing": "error"},
            {"name": "v", "type": "text", "from": "v"},
            {"name": "bio", "type": "text", "from": "profile.bio"},
            {"name": "age", "type": "integer", "from": "profile.age"},
            {"name": "note", "type": "jsonb", "from": "note"},
            {"name": "raw", "type": "json", "from": "raw"}
          ], "primaryKey": ["id"]},
          {"name": "items", "path": "items[]", "onMissing": "null", "columns": [
            {"name": "id", "type": "bigint", "from": "$root._id * 100 + $index", "onMissing": "error"},
            {"name": "k", "type": "text", "from": "k"}
          ], "primaryKey": ["id"]}
        ]}
        """;

    /// <summary>A subdocument, or an array of such, written element by element (so it may repeat a name).</summary>
    internal sealed record Doc(byte[] Bytes);

    internal sealed record Arr(params Doc[] Items);

    /// <summary>A BSON document with exactly these elements, repeats included (an object model would merge them).</summary>
    internal static byte[] Raw(params (string Name, object Value)[] elements)
    {
        var body = new List<byte>();
        foreach ((string name, object value) in elements)
        {
            switch (value)
            {
                case Doc d:
                    Element(body, BsonType.Document, name, d.Bytes);
                    break;
                case Arr a:
                    Element(body, BsonType.Array, name, Raw([.. a.Items.Select((item, i) => (i.ToString(System.Globalization.CultureInfo.InvariantCulture), (object)item))]));
                    break;
                default:
                    byte[] one = new BsonDocument(name, BsonValue.Create(value)).ToBson();
                    body.AddRange(one.AsSpan(4, one.Length - 5).ToArray());
                    break;
            }
        }
        byte[] doc = new byte[body.Count + 5];
        BitConverter.GetBytes(doc.Length).CopyTo(doc, 0);
        body.CopyTo(doc, 4);
        return doc;
    }

    private static void Element(List<byte> body, BsonType type, string name, byte[] value)
    {
        body.Add((byte)type);
        body.AddRange(System.Text.Encoding.UTF8.GetBytes(name));
        body.Add(0);
        body.AddRange(value);
    }

    private static Doc Sub(params (string, object)[] elements) => new(Raw(elements));

    private static readonly byte[][] Good =
    [
        Raw(("_id", 1), ("v", "one"), ("profile", new BsonDocument { { "bio", "b" }, { "age", 30 } }),
            ("note", Sub(("tag", "x"), ("other", Sub(("tag", "y"))))), ("raw", Sub(("k", 1), ("k", 2))),
            ("items", new Arr(Sub(("k", "a")), Sub(("k", "b"))))),
        Raw(("_id", 3), ("w", 1), ("w", 2)), // a repeated name no column takes changes nothing
    ];

    public static TheoryData<string, string, string> Repeats => new()
    {
        { "top", "field \"v\" for column \"v\" of table \"things\"", "the document holds field \"v\" more than once at the same level" },
        { "parent", "field \"profile\" for table \"things\"", "the document holds field \"profile\" more than once at the same level" },
        { "item", "field \"items.0.k\" for column \"k\" of table \"items\"", "the document holds field \"k\" more than once at the same level" },
        { "jsonb", "field \"note\" for column \"note\" of table \"things\"", "the value holds key \"tag\" more than once in one subdocument, and jsonb would keep only the last" },
        { "jsonb-deep", "field \"note\" for column \"note\" of table \"things\"", "the value holds key \"a.0.t\" more than once" },
    };

    private static byte[] Bad(string kind) => kind switch
    {
        "top" => Raw(("_id", 2), ("v", "first"), ("v", "second")),
        "parent" => Raw(("_id", 2), ("profile", new BsonDocument("bio", "b")), ("profile", new BsonDocument("age", 3))),
        "item" => Raw(("_id", 2), ("items", new Arr(Sub(("k", "a"), ("k", "b"))))),
        "jsonb" => Raw(("_id", 2), ("note", Sub(("tag", "x"), ("tag", "y")))),
        "jsonb-deep" => Raw(("_id", 2), ("note", Sub(("a", new Arr(Sub(("t", 1), ("t", 2))))))),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private (string File, long Offset) Write(string kind)
    {
        byte[] bytes = [.. Good[0], .. Bad(kind), .. Good[1]];
        return (_dir.Write("things.bson", bytes), Good[0].Length);
    }

    [Theory]
    [MemberData(nameof(Repeats))]
    public void A_repeated_mapped_name_stops_the_load_by_name(string kind, string where, string reason)
    {
        (string file, long offset) = Write(kind);
        string schema = _schemas.New("repeat");

        Etlfast.Load(file, _dir.Write("m.json", Mapping), schema).Fails(4, $"document _id 2 at byte offset {offset}", where, reason);

        using NpgsqlConnection conn = TestPg.Open();
        Assert.Equal(0L, PgTable.Count(conn, schema, "things"));
    }

    [Theory]
    [MemberData(nameof(Repeats))]
    public void In_reject_mode_the_document_is_rejected_and_the_rest_loads_with_every_value(string kind, string where, string reason)
    {
        (string file, long offset) = Write(kind);
        string schema = _schemas.New("repeat_rej");
        string rejects = _dir.File("rejects");

        CliResult r = Etlfast.Load(file, _dir.Write("m.json", Mapping), schema, "--on-error", "reject", "--reject-dir", rejects);

        Assert.True(r.Exit == 1, $"expected exit 1 (completed with rejects)\n{r}");
        string log = File.ReadAllText(Path.Combine(rejects, "things.rejects.log"));
        Assert.Contains($"_id 2 at byte offset {offset}", log, StringComparison.Ordinal);
        Assert.Contains(where, log, StringComparison.Ordinal);
        Assert.Contains(reason, log, StringComparison.Ordinal);

        using NpgsqlConnection conn = TestPg.Open();
        Assert.Equal(
            "1|one|b|30|{\"tag\": \"x\", \"other\": {\"tag\": \"y\"}}|{\"k\":1,\"k\":2};3",
            TestPg.Scalar(conn, $"SELECT string_agg(concat_ws('|', id, v, bio, age, note::text, raw::text), ';' ORDER BY id) FROM {TestPg.Qualify(schema, "things")}"));
        Assert.Equal("100|a;101|b", TestPg.Scalar(conn, $"SELECT string_agg(concat_ws('|', id, k), ';' ORDER BY id) FROM {TestPg.Qualify(schema, "items")}"));
    }
}
