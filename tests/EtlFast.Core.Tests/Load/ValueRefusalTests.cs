using EtlFast.Core.Tests.TestSupport;
using MongoDB.Bson;
using Npgsql;

namespace EtlFast.Core.Tests.Load;

/// <summary>
/// Values PostgreSQL itself would refuse or change (varchar(n) too long or with trailing spaces past n,
/// numeric(p,s) overflow or rounding) are refused by the encoder, by name: document _id, byte offset,
/// field, table and column, in stop mode (exit 4) and in the reject log (exit 1, the rest loads).
/// </summary>
public sealed class ValueRefusalTests : IDisposable
{
    private readonly Schemas _schemas = new();
    private readonly ScratchDir _dir = new();

    public void Dispose()
    {
        _schemas.Dispose();
        _dir.Dispose();
    }

    private const string Mapping = """
        {"collection": "things", "tables": [{"name": "things", "onMissing": "null", "columns": [
          {"name": "id", "type": "bigint", "from": "_id", "onMissing": "error"},
          {"name": "code", "type": "varchar(5)", "from": "code"},
          {"name": "price", "type": "numeric(5,2)", "from": "price"}
        ], "primaryKey": ["id"]}]}
        """;

    /// <summary>Values at the limits, which must load unchanged.</summary>
    private static readonly BsonDocument[] Good =
    [
        new() { { "_id", 1 }, { "code", "abcde" }, { "price", 999.99 } },
        new() { { "_id", 3 }, { "code", "héllo" }, { "price", Decimal128.Parse("-999.99") } },
        new() { { "_id", 4 }, { "code", "ab  " }, { "price", Decimal128.Parse("1.500") } },
    ];

    public static TheoryData<string, string> BadValues => new()
    {
        { "code:long", "the string \"abcdefg\" has 7 characters, varchar(5) holds at most 5" },
        { "code:multibyte", "the string \"héllo!\" has 6 characters, varchar(5) holds at most 5" },
        { "code:trailing-spaces", "has 8 characters, varchar(5) holds at most 5; PostgreSQL would silently drop its 3 trailing spaces past 5" },
        { "code:objectid", "an ObjectId is stored as 24 hex characters, varchar(5) holds at most 5" },
        { "price:double-overflow", "the value 1234.5 has more digits before the decimal point than numeric(5,2) holds (3)" },
        { "price:decimal-overflow", "the value 1000.00 has more digits before the decimal point than numeric(5,2) holds (3)" },
        { "price:int-overflow", "the value 1000 has more digits before the decimal point than numeric(5,2) holds (3)" },
        { "price:double-rounded", "the value 1.005 has more decimal places than numeric(5,2) keeps (2), so PostgreSQL would round it" },
        { "price:decimal-rounded", "the value 0.125 has more decimal places than numeric(5,2) keeps (2)" },
    };

    private static BsonValue BadValue(string change) => change switch
    {
        "code:long" => "abcdefg",
        "code:multibyte" => "héllo!",
        "code:trailing-spaces" => "abcde   ",
        "code:objectid" => ObjectId.Parse("65a1b2c3d4e5f60718293a4b"),
        "price:double-overflow" => 1234.5,
        "price:decimal-overflow" => Decimal128.Parse("1000.00"),
        "price:int-overflow" => 1000,
        "price:double-rounded" => 1.005,
        "price:decimal-rounded" => Decimal128.Parse("0.125"),
        _ => throw new ArgumentOutOfRangeException(nameof(change)),
    };

    /// <summary>The good documents with the bad one (_id 2) second; returns the file and the bad one's byte offset.</summary>
    private (string File, long Offset) Write(string change)
    {
        string field = change[..change.IndexOf(':', StringComparison.Ordinal)];
        var bad = new BsonDocument { { "_id", 2 }, { field, BadValue(change) } };
        List<BsonDocument> docs = [Good[0], bad, .. Good[1..]];
        byte[] bytes = BsonFile.Encode(docs);
        return (_dir.Write("things.bson", bytes), BsonFile.Offsets(bytes)[1]);
    }

    [Theory]
    [MemberData(nameof(BadValues))]
    public void A_value_postgresql_would_refuse_or_change_stops_the_load_by_name(string change, string reason)
    {
        (string file, long offset) = Write(change);
        string field = change[..change.IndexOf(':', StringComparison.Ordinal)];
        string schema = _schemas.New("refuse");

        CliResult r = Etlfast.Load(file, _dir.Write("m.json", Mapping), schema).Fails(4,
            $"document _id 2 at byte offset {offset}", $"field \"{field}\" for column \"{field}\" of table \"things\"", reason);
        Assert.DoesNotContain("table \"\"", r.Err, StringComparison.Ordinal);

        using NpgsqlConnection conn = TestPg.Open();
        Assert.Equal(0L, PgTable.Count(conn, schema, "things"));
    }

    [Theory]
    [MemberData(nameof(BadValues))]
    public void In_reject_mode_the_document_is_logged_by_name_and_the_rest_loads_unchanged(string change, string reason)
    {
        (string file, long offset) = Write(change);
        string field = change[..change.IndexOf(':', StringComparison.Ordinal)];
        string schema = _schemas.New("refuse_rej");
        string rejects = _dir.File("rejects");

        CliResult r = Etlfast.Load(file, _dir.Write("m.json", Mapping), schema, "--on-error", "reject", "--reject-dir", rejects);

        Assert.True(r.Exit == 1, $"expected exit 1 (completed with rejects)\n{r}");
        string log = File.ReadAllText(Path.Combine(rejects, "things.rejects.log"));
        Assert.Contains($"_id 2 at byte offset {offset}", log, StringComparison.Ordinal);
        Assert.Contains($"field \"{field}\" for column \"{field}\" of table \"things\"", log, StringComparison.Ordinal);
        Assert.Contains(reason, log, StringComparison.Ordinal);

        using NpgsqlConnection conn = TestPg.Open();
        using var cmd = new NpgsqlCommand($"SELECT id, code, price::text FROM {TestPg.Qualify(schema, "things")} ORDER BY id", conn);
        using NpgsqlDataReader rows = cmd.ExecuteReader();
        var got = new List<string>();
        while (rows.Read())
        {
            got.Add($"{rows.GetInt64(0)}|{rows.GetString(1)}|{rows.GetString(2)}");
        }
        Assert.Equal(["1|abcde|999.99", "3|héllo|-999.99", "4|ab  |1.50"], got);
    }
}
