using System.Buffers.Binary;
using EtlFast.Core.Tests.TestSupport;
using MongoDB.Bson;
using Npgsql;

namespace EtlFast.Core.Tests.Load;

/// <summary>
/// Failures a user must be told about precisely (exit code; the document, byte offset, field, table
/// and column) and that must leave no row of the failed chunk behind: bad values under the default
/// "error" policy, corrupt or truncated sources, invalid mappings.
/// </summary>
public sealed class LoadErrorTests : IDisposable
{
    private readonly Schemas _schemas = new();
    private readonly ScratchDir _dir = new();

    public void Dispose()
    {
        _schemas.Dispose();
        _dir.Dispose();
    }

    /// <summary>The documents with one of them changed (on a copy: the cached documents stay as generated).</summary>
    private static List<BsonDocument> Changed(SeedData data, int index, Action<BsonDocument> change)
    {
        var docs = new List<BsonDocument>(data.Documents);
        docs[index] = data.Documents[index].DeepClone().AsBsonDocument;
        change(docs[index]);
        return docs;
    }

    private static HashSet<int> UserIds(NpgsqlConnection conn, string schema)
    {
        var ids = new HashSet<int>();
        using var cmd = new NpgsqlCommand($"SELECT id FROM {TestPg.Qualify(schema, "users")}", conn);
        using NpgsqlDataReader r = cmd.ExecuteReader();
        while (r.Read())
        {
            ids.Add((int)r.GetInt64(0));
        }
        return ids;
    }

    /// <summary>The users table holds users 1..k, and every table exactly their rows; returns k.</summary>
    private static int AssertCommittedPrefix(NpgsqlConnection conn, string schema, SeedData data)
    {
        HashSet<int> ids = UserIds(conn, schema);
        int k = ids.Count;
        Assert.True(ids.SetEquals(Enumerable.Range(1, k)), $"the committed users must be a prefix 1..n of the file, not {string.Join(",", ids.Order().Take(50))}...");
        foreach (ExpectedTable t in SeedData.TablesOf(data.Documents.Take(k)))
        {
            TableAssert.Matches(conn, schema, t);
        }
        return k;
    }

    private static void AssertAllEmpty(string schema)
    {
        using NpgsqlConnection conn = TestPg.Open();
        Assert.Equal(SeedOracle.TableNames.Order(StringComparer.Ordinal), PgTable.Tables(conn, schema));
        foreach (string t in SeedOracle.TableNames)
        {
            Assert.True(PgTable.Count(conn, schema, t) == 0, $"table {t} must hold no row of the failed chunk");
        }
    }

    [Fact]
    public void A_missing_field_names_document_offset_path_table_and_column_and_keeps_earlier_chunks()
    {
        SeedData data = SeedData.Get(400, seed: 22);
        int bad = Enumerable.Range(280, 100).First(i => data.Documents[i]["messages"].AsBsonArray.Count >= 2);
        List<BsonDocument> docs = Changed(data, bad, d => d["messages"][1].AsBsonDocument.Remove("read"));
        byte[] bytes = BsonFile.Encode(docs);
        long offset = BsonFile.Offsets(bytes)[bad];
        string schema = _schemas.New("err_missing");

        Etlfast.Load(_dir.Write("users.bson", bytes), SeedData.Mapping, schema, "-j", "1", "--chunk-size", "1").Fails(4,
            $"document _id {bad + 1} at byte offset {offset}", "field \"messages.1.read\"", "column \"read\" of table \"messages\"",
            "missing", "rolled back");

        using NpgsqlConnection conn = TestPg.Open();
        int k = AssertCommittedPrefix(conn, schema, data);
        Assert.True(k >= 100, $"the first 1 MiB chunk ({k} users) should have been committed");
        Assert.True(k < bad + 1, $"user {bad + 1}, whose document failed, must not be loaded (found users 1..{k})");
    }

    public static TheoryData<string, string[]> BadValues => new()
    {
        { "age:string", ["field \"age\"", "column \"age\" of table \"users\"", "string"] },
        { "age:int64", ["field \"age\"", "column \"age\" of table \"users\"", "out of range"] },
        { "createdAt:late", ["field \"createdAt\"", "column \"created_at\" of table \"users\"", "range"] },
        { "createdAt:early", ["field \"createdAt\"", "column \"created_at\" of table \"users\"", "range"] },
        { "username:nul", ["field \"username\"", "column \"username\" of table \"users\"", "NUL"] },
        { "messages.0.body:nul", ["field \"messages.0.body\"", "column \"body\" of table \"messages\"", "NUL"] },
        { "profile.interests:nul", ["field \"profile.interests\"", "column \"interests\" of table \"profiles\"", "NUL"] },
        { "profile.education.1.year:double", ["field \"profile.education.1.year\"", "column \"year\" of table \"education\"", "not an integer"] },
    };

    /// <summary>
    /// Values of an accepted type that cannot be stored exactly, and a mismatched type, under the
    /// default "error" policy: exit 4, the message names the document, its offset, the field, the
    /// table and the column, and the failed chunk leaves no row.
    /// </summary>
    [Theory]
    [MemberData(nameof(BadValues))]
    public void A_value_that_cannot_be_stored_stops_the_load(string change, string[] phrases)
    {
        SeedData data = SeedData.Get(40, seed: 23);
        const int Bad = 14;
        List<BsonDocument> docs = Changed(data, Bad, d =>
        {
            switch (change)
            {
                case "age:string": d["age"] = "42"; break;
                case "age:int64": d["age"] = 5_000_000_000L; break;
                case "createdAt:late": d["createdAt"] = new BsonDateTime(300_000L * 366 * 86_400_000); break;    // after 294276 AD
                case "createdAt:early": d["createdAt"] = new BsonDateTime(-7_000L * 366 * 86_400_000); break;   // before 4713 BC
                case "username:nul": d["username"] = "ab\0cd"; break;
                case "messages.0.body:nul":
                    if (d["messages"].AsBsonArray.Count == 0)
                    {
                        d["messages"].AsBsonArray.Add(data.Documents.First(u => u["messages"].AsBsonArray.Count > 0)["messages"][0].DeepClone());
                    }
                    d["messages"][0]["body"] = "x\0y";
                    break;
                case "profile.interests:nul": d["profile"]["interests"][0] = "a\0b"; break;
                case "profile.education.1.year:double":
                    d["profile"]["education"] = new BsonArray { d["profile"]["education"][0], d["profile"]["education"][0].DeepClone() };
                    d["profile"]["education"][1]["year"] = 2001.5;
                    break;
            }
        });
        byte[] bytes = BsonFile.Encode(docs);
        string schema = _schemas.New("err_value");

        CliResult r = Etlfast.Load(_dir.Write("users.bson", bytes), SeedData.Mapping, schema, "-j", "1");

        r.Fails(4, [$"document _id {Bad + 1} at byte offset {BsonFile.Offsets(bytes)[Bad]}", .. phrases]);
        AssertAllEmpty(schema);
    }

    private const string ProbeMapping = """
        {
          "collection": "probe",
          "tables": [
            {
              "name": "probe",
              "columns": [
                { "name": "id",     "type": "bigint",  "from": "_id" },
                { "name": "amount", "type": "numeric", "from": "amount" }
              ],
              "primaryKey": ["id"]
            }
          ]
        }
        """;

    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    [InlineData("double NaN")]
    public void NaN_and_infinity_cannot_go_into_numeric(string value)
    {
        BsonValue bad = value == "double NaN" ? new BsonDouble(double.NaN) : new BsonDecimal128(Decimal128.Parse(value));
        var docs = new List<BsonDocument>
        {
            new() { { "_id", 1 }, { "amount", new BsonDecimal128(Decimal128.Parse("1.5")) } },
            new() { { "_id", 2 }, { "amount", bad } },
            new() { { "_id", 3 }, { "amount", 3 } },
        };
        byte[] bytes = BsonFile.Encode(docs);
        string schema = _schemas.New("err_nan");

        Etlfast.Load(_dir.Write("probe.bson", bytes), _dir.Write("probe.json", ProbeMapping), schema).Fails(4,
            $"document _id 2 at byte offset {BsonFile.Offsets(bytes)[1]}", "field \"amount\"", "column \"amount\" of table \"probe\"", "NaN");

        using NpgsqlConnection conn = TestPg.Open();
        Assert.Equal(0L, PgTable.Count(conn, schema, "probe"));
    }

    /// <summary>
    /// numeric(p,s) with a decimal of more fraction digits than s: PostgreSQL's binary input rounds
    /// it to the scale without a word, so a loader that promises exact conversions must refuse it
    /// (or store it exactly), not let 12.345 become 12.35.
    /// </summary>
    [Theory]
    [InlineData("12.345")]
    [InlineData("0.001")]
    public void A_decimal_finer_than_the_column_scale_is_not_rounded_silently(string value)
    {
        var docs = new List<BsonDocument> { new() { { "_id", 1 }, { "amount", new BsonDecimal128(Decimal128.Parse(value)) } } };
        string mapping = _dir.Write("scaled.json", ProbeMapping.Replace("\"type\": \"numeric\"", "\"type\": \"numeric(12,2)\"", StringComparison.Ordinal));
        string schema = _schemas.New("err_scale");

        CliResult r = Etlfast.Load(_dir.Write("scaled.bson", BsonFile.Encode(docs)), mapping, schema);

        using NpgsqlConnection conn = TestPg.Open();
        string? stored = TestPg.Scalar(conn, $"SELECT string_agg(amount::text, ',') FROM {TestPg.Qualify(schema, "probe")}") as string;
        Assert.True(r.Exit == 4 && stored is null,
            $"decimal {value} into numeric(12,2) was stored as {stored ?? "nothing"} (exit {r.Exit}); expected an error naming the document and column\n{r}");
        r.Fails(4, "document _id 1", "column \"amount\" of table \"probe\"");
    }

    [Fact]
    public void A_truncated_file_names_the_offset_of_the_cut_document_and_keeps_the_whole_ones()
    {
        SeedData data = SeedData.Get(40, seed: 24);
        long last = BsonFile.Offsets(data.Bytes)[39];
        byte[] cut = data.Bytes[..(int)(last + 100)];
        string schema = _schemas.New("err_truncated");

        Etlfast.Load(_dir.Write("cut.bson", cut), SeedData.Mapping, schema, "-j", "1").Fails(4,
            $"byte offset {last}", "truncated", "documents before it were loaded");

        using NpgsqlConnection conn = TestPg.Open();
        Assert.Equal(39, AssertCommittedPrefix(conn, schema, data));
    }

    /// <summary>A length prefix that cannot be right: below BSON's minimum, beyond the maximum size, or not ending on a document's terminator.</summary>
    [Theory]
    [InlineData("tiny")]
    [InlineData("huge")]
    [InlineData("short")]
    [InlineData("negative")]
    public void A_corrupt_length_prefix_stops_the_load_at_its_offset(string kind)
    {
        SeedData data = SeedData.Get(40, seed: 25);
        const int Bad = 20;
        byte[] bytes = (byte[])data.Bytes.Clone();
        int at = (int)BsonFile.Offsets(bytes)[Bad];
        int length = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at));
        int corrupt = kind switch
        {
            "tiny" => 3,
            "huge" => 0x7FFF_FFF0,
            "short" => length - 7,
            _ => -length,
        };
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at), corrupt);
        string schema = _schemas.New("err_length");

        Etlfast.Load(_dir.Write("corrupt.bson", bytes), SeedData.Mapping, schema, "-j", "1").Fails(4, $"byte offset {at}");

        using NpgsqlConnection conn = TestPg.Open();
        Assert.True(AssertCommittedPrefix(conn, schema, data) <= Bad, "the document with the corrupt length must not be loaded");
    }

    [Theory]
    [InlineData(7, """{ "name": "id", "type": "bigint2", "from": "_id" }""", "unknown type")]
    [InlineData(7, """{ "name": "id", "type": "bigint", "from": "_id" } { "name": "x", "from": "x" }""", "")]
    [InlineData(7, """{ "name": "id", "type": "bigint", "from": "_id", "references": "later.id" }""", "later")]
    [InlineData(7, """{ "name": "id", "type": "bigint", "from": "$ordinal" }""", "$ordinal")]
    public void An_invalid_mapping_exits_2_naming_the_file_and_line_and_touches_nothing(int line, string column, string phrase)
    {
        string mapping = $$"""
            {
              "collection": "users",
              "tables": [
                {
                  "name": "users",
                  "columns": [
                    {{column}}
                  ]
                },
                { "name": "later", "columns": [{ "name": "id", "type": "bigint", "from": "_id" }], "primaryKey": ["id"] }
              ]
            }
            """;
        string path = _dir.Write("bad-mapping.json", mapping);
        Assert.Equal(line, mapping.Split('\n').ToList().FindIndex(l => l.Contains("\"name\": \"id\"", StringComparison.Ordinal)) + 1);
        string schema = _schemas.New("err_mapping");

        Etlfast.Load(SeedData.Get(40, seed: 23).BsonPath, path, schema).Fails(2, $"bad-mapping.json:{line}:", phrase);

        using NpgsqlConnection conn = TestPg.Open();
        Assert.Empty(PgTable.Tables(conn, schema));
    }

    [Fact]
    public void An_unreachable_server_exits_3()
    {
        var r = Etlfast.Run(["load", "--from", SeedData.Get(40, seed: 23).BsonPath, "-m", SeedData.Mapping, "--to",
            "Host=127.0.0.1;Port=1;Username=nobody;Database=none;Timeout=3", "--schema", "never", "--reject-dir", _dir.Path]);
        r.Fails(3, "could not connect");
    }
}
