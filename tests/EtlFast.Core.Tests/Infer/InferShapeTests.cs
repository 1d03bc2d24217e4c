using EtlFast.Core.Mapping;
using EtlFast.Core.Tests.TestSupport;
using MongoDB.Bson;
using Npgsql;

namespace EtlFast.Core.Tests.Infer;

/// <summary>
/// Shapes the seed data does not have: a field of mixed types, a rare field, names that collide once
/// snake_cased, names past PostgreSQL's 63 bytes, a name only a quoted path segment can spell, an ObjectId key,
/// nested arrays without keys of their own. The mapping must flag them, name everything validly,
/// and load unchanged with every value kept.
/// </summary>
public sealed class InferShapeTests : IDisposable
{
    private static readonly string LongA = new string('x', 70) + "A"; // snake: 70 x, "_a": cut to 63 x
    private static readonly string LongB = new string('x', 70) + "B"; // the same 63 x: gets "_2" inside the 63 bytes
    private static readonly string LongArray = new string('l', 80);

    private readonly Schemas _schemas = new();
    private readonly ScratchDir _dir = new("etlfast-infer-");

    public void Dispose()
    {
        _schemas.Dispose();
        _dir.Dispose();
    }

    /// <summary>100 documents: score is an int in 60 and a string in 40, nickname is in 2.</summary>
    internal static List<BsonDocument> Things()
    {
        var docs = new List<BsonDocument>();
        for (int i = 0; i < 100; i++)
        {
            var doc = new BsonDocument
            {
                { "_id", new ObjectId($"65a0000000000000000000{i:x2}") },
                { "id", "not-the-key" },
                { "score", i % 5 < 3 ? new BsonInt32(i) : new BsonString($"s{i}") },
                { "fooBar", i },
                { "foo_bar", $"x{i}" },
                { LongA, i },
                { LongB, i * 2 },
                { "a b", 1 },
                { "tags", new BsonArray { "red", "green" } },
                { "orders", new BsonArray
                    {
                        new BsonDocument { { "sku", $"k{i}" }, { "lines", new BsonArray { new BsonDocument("qty", 1), new BsonDocument("qty", 2) } } },
                        new BsonDocument { { "sku", $"k{i}b" }, { "lines", new BsonArray() } },
                    }
                },
                { LongArray, new BsonArray { new BsonDocument("v", i) } },
            };
            if (i < 2)
            {
                doc.Add("nickname", $"nick{i}");
            }
            docs.Add(doc);
        }
        return docs;
    }

    [Fact]
    public void Mixed_rare_colliding_long_and_unspellable_fields_are_flagged_named_validly_and_load()
    {
        string source = _dir.Write("things.bson", BsonFile.Encode(Things()));
        string mappingPath = _dir.File("things.json");

        CliResult r = Etlfast.Run(["infer", "--from", source, "-o", mappingPath]).Ok();

        r.Fails(0, "MIXED", "\"score\": int 60.0%, string 40.0%", "RARE", "\"nickname\": in 2 of 100 documents (2.0%)");
        Assert.DoesNotContain("\"a b\"", r.Err, StringComparison.Ordinal); // mapped, so not flagged
        string text = File.ReadAllText(mappingPath);
        Assert.Contains("// MIXED: int 60.0%, string 40.0%: stored whole as jsonb", text);
        Assert.Contains("\"onTypeMismatch\": \"null\"", text); // the suggested policy, in the comment
        Assert.Contains("\"from\": \"\\\"a b\\\"\"", text); // a name with a space, as a quoted path segment

        string schema = _schemas.New("infer_shapes");
        Etlfast.Load(source, mappingPath, schema, "-q").Ok();

        using NpgsqlConnection conn = TestPg.Open();
        List<string> columns = [.. PgTable.Columns(conn, schema, "things").Select(c => c.Name)];
        Assert.Equal(["id", "id_2", "score", "foo_bar", "foo_bar_2", new string('x', 63), new string('x', 61) + "_2", "a_b", "tags", "nickname"], columns);
        Assert.Equal(100L, TestPg.Scalar(conn, $"SELECT count(*) FROM {TestPg.Qualify(schema, "things")} WHERE a_b = 1"));
        Assert.Equal("text", PgTable.Columns(conn, schema, "things")[0].Type); // ObjectId keys as 24 hex characters
        Assert.Equal("65a000000000000000000007", TestPg.Scalar(conn, $"SELECT id FROM {TestPg.Qualify(schema, "things")} WHERE \"{new string('x', 63)}\" = 7"));
        Assert.Equal(40L, TestPg.Scalar(conn, $"SELECT count(*) FROM {TestPg.Qualify(schema, "things")} WHERE jsonb_typeof(score) = 'string'"));
        Assert.Equal(60L, TestPg.Scalar(conn, $"SELECT count(*) FROM {TestPg.Qualify(schema, "things")} WHERE jsonb_typeof(score) = 'number'"));
        Assert.Equal(2L, TestPg.Scalar(conn, $"SELECT count(*) FROM {TestPg.Qualify(schema, "things")} WHERE nickname IS NOT NULL"));
        Assert.Equal(200L, PgTable.Count(conn, schema, "orders"));
        Assert.Equal(200L, PgTable.Count(conn, schema, "lines"));
        Assert.Equal(100L, PgTable.Count(conn, schema, new string('l', 63)));
        // Orders have no key of their own, so their lines are keyed and linked by the document.
        Assert.Equal(["thing_id", "ordinal", "qty"], PgTable.Columns(conn, schema, "lines").Select(c => c.Name));
        Assert.Contains("linked to things: the items of \"orders\" have no unique \"id\" of their own", text);
    }

    [Fact]
    public void Standard_input_needs_a_collection_and_gives_the_mapping_on_standard_output()
    {
        byte[] bytes = BsonFile.Encode(Things());
        Etlfast.Run(["infer", "--from", "-"], () => new MemoryStream(bytes))
            .Fails(2, "reading standard input, infer needs the collection's name", "-c/--collection");

        CliResult r = Etlfast.Run(["infer", "--from", "-", "-c", "stuff", "--sample", "10", "-q"], () => new MemoryStream(bytes)).Ok();

        Assert.Equal("", r.Err);
        MappingDocument mapping = MappingParser.Parse(System.Text.Encoding.UTF8.GetBytes(r.Out), "stdout");
        Assert.Equal("stuff", mapping.Collection);
        Assert.Equal("stuff", mapping.Tables[0].Name);
        Assert.Contains("from the first 10 documents of standard input", r.Out);
    }

    [Fact]
    public void A_dump_directory_gives_the_database_and_the_collection_of_its_one_file()
    {
        _dir.Write(Path.Combine("dump", "shop", "things.bson"), BsonFile.Encode(Things()));

        CliResult r = Etlfast.Run(["infer", "--from", _dir.File("dump"), "-q"]).Ok();

        MappingDocument mapping = MappingParser.Parse(System.Text.Encoding.UTF8.GetBytes(r.Out), "stdout");
        Assert.Equal("shop", mapping.Database);
        Assert.Equal("things", mapping.Collection);
    }

    [Fact]
    public void Every_bson_type_gets_the_documented_column_type_and_loads()
    {
        var docs = new List<BsonDocument>();
        for (int i = 0; i < 20; i++)
        {
            docs.Add(new BsonDocument
            {
                { "_id", new BsonDocument { { "a", i }, { "b", "x" } } }, // a compound key: jsonb
                { "i32", i },
                { "i64", (long)i << 40 },
                { "dbl", i + 0.5 },
                { "dec", new BsonDecimal128(Decimal128.Parse($"{i}.25")) },
                { "str", $"s{i}" },
                { "flag", i % 2 == 0 },
                { "at", new BsonDateTime(DateTime.UnixEpoch.AddDays(i)) },
                { "ts", new BsonTimestamp(1_700_000_000 + i, 1) },
                { "oid", new ObjectId($"65a0000000000000000000{i:x2}") },
                { "uid", new BsonBinaryData(new Guid($"00000000-0000-0000-0000-0000000000{i:x2}"), GuidRepresentation.Standard) },
                { "bin", new BsonBinaryData(new byte[] { 1, 2, (byte)i }) },
                { "re", new BsonRegularExpression("^a", "i") },
                { "nothing", BsonNull.Value },
                { "num", i % 2 == 0 ? new BsonInt32(i) : new BsonDouble(i + 0.5) },
                { "wide", i % 2 == 0 ? new BsonInt32(i) : new BsonInt64(i) },
                { "lowest", BsonMinKey.Value },
                { "code", new BsonJavaScript("return 1") },
                { "matrix", new BsonArray { new BsonArray { 1, 2 }, new BsonArray { 3 } } },
                { "none", new BsonArray() },
            });
        }
        string source = _dir.Write("types.bson", BsonFile.Encode(docs));
        string mappingPath = _dir.File("types.json");
        Etlfast.Run(["infer", "--from", source, "-o", mappingPath, "-q"]).Ok();
        string schema = _schemas.New("infer_types");

        Etlfast.Load(source, mappingPath, schema, "-q").Ok();

        using NpgsqlConnection conn = TestPg.Open();
        Dictionary<string, string> types = PgTable.Columns(conn, schema, "types").ToDictionary(c => c.Name, c => c.Type);
        var expected = new Dictionary<string, string>
        {
            ["id"] = "jsonb", ["i32"] = "integer", ["i64"] = "bigint", ["dbl"] = "double precision", ["dec"] = "numeric",
            ["str"] = "text", ["flag"] = "boolean", ["at"] = "timestamp with time zone", ["ts"] = "jsonb",
            ["oid"] = "text", ["uid"] = "uuid", ["bin"] = "bytea", ["re"] = "jsonb", ["nothing"] = "jsonb", ["num"] = "double precision",
            ["wide"] = "bigint", ["lowest"] = "jsonb", ["code"] = "text", ["matrix"] = "jsonb", ["none"] = "jsonb",
        };
        Assert.Equal(expected.OrderBy(e => e.Key), types.OrderBy(e => e.Key));
        Assert.Equal(20L, PgTable.Count(conn, schema, "types"));
        Assert.Equal("00000000-0000-0000-0000-000000000007",
            TestPg.Scalar(conn, $"SELECT uid::text FROM {TestPg.Qualify(schema, "types")} WHERE i32 = 7"));
        Assert.Equal(20L, TestPg.Scalar(conn, $"SELECT count(*) FROM {TestPg.Qualify(schema, "types")} WHERE nothing IS NULL"));
        // A BSON timestamp keeps its increment (timestamptz would keep the seconds only).
        Assert.Equal("{\"$timestamp\": {\"i\": 1, \"t\": 1700000007}}", TestPg.Scalar(conn, $"SELECT ts::text FROM {TestPg.Qualify(schema, "types")} WHERE i32 = 7"));
    }
}
