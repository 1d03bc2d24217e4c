using EtlFast.Core.Tests.TestSupport;
using MongoDB.Bson;
using Npgsql;

namespace EtlFast.Core.Tests.Load;

/// <summary>
/// Values that used to change on the way in: -0.0 into jsonb (jsonb's numbers have no negative zero),
/// a BSON timestamp's increment into timestamptz, and dates past 294276 AD that PostgreSQL's date holds.
/// </summary>
public sealed class LosslessValueTests : IDisposable
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
          {"name": "z", "type": "jsonb", "from": "z"},
          {"name": "ts", "type": "timestamptz", "from": "ts"},
          {"name": "d", "type": "date", "from": "d"}
        ], "primaryKey": ["id"]}]}
        """;

    private const long MillisPerDay = 86_400_000L;

    /// <summary>A BSON datetime at midnight, <paramref name="days"/> after 2000-01-01.</summary>
    private static BsonDateTime Day(long days) => new((days + 10_957) * MillisPerDay);

    [Fact]
    public void Negative_zero_in_jsonb_timestamps_without_increment_and_far_dates_load_unchanged()
    {
        BsonDocument[] docs =
        [
            new() { { "_id", 1 }, { "z", new BsonDouble(-0.0) }, { "ts", new BsonTimestamp(1_700_000_000, 0) }, { "d", Day(107_000_000) } },
            new() { { "_id", 2 }, { "z", new BsonDocument("x", new BsonDouble(-0.0)) }, { "d", Day(2_145_031_948) } }, // 5874897-12-31
            new() { { "_id", 3 }, { "z", new BsonDouble(0.0) } },
        ];
        string schema = _schemas.New("lossless");

        Etlfast.Load(_dir.Write("things.bson", BsonFile.Encode(docs)), _dir.Write("m.json", Mapping), schema).Ok();

        using NpgsqlConnection conn = TestPg.Open();
        string t = TestPg.Qualify(schema, "things");
        Assert.Equal("{\"$numberDouble\": \"-0.0\"}|{\"x\": {\"$numberDouble\": \"-0.0\"}}|0.0",
            TestPg.Scalar(conn, $"SELECT string_agg(z::text, '|' ORDER BY id) FROM {t}"));
        Assert.Equal(true, TestPg.Scalar(conn, $"SELECT ts = to_timestamp(1700000000) FROM {t} WHERE id = 1"));
        Assert.Equal(true, TestPg.Scalar(conn, $"SELECT d = date '2000-01-01' + 107000000 FROM {t} WHERE id = 1"));
        Assert.Equal("5874897-12-31", TestPg.Scalar(conn, $"SELECT d::text FROM {t} WHERE id = 2"));
    }

    [Theory]
    [InlineData("ts", "the BSON timestamp has increment 5, which timestamptz would drop (it keeps the seconds only); store it as jsonb to keep both")]
    [InlineData("d", "the date is outside the range of PostgreSQL's date (4713 BC to 5874897 AD)")]
    public void A_value_the_column_would_change_or_cannot_hold_is_refused_by_name(string field, string reason)
    {
        BsonValue bad = field == "ts" ? new BsonTimestamp(1_700_000_000, 5) : Day(2_145_031_949); // 5874898-01-01
        BsonDocument[] docs = [new() { { "_id", 1 } }, new() { { "_id", 2 }, { field, bad } }];
        byte[] bytes = BsonFile.Encode(docs);
        string schema = _schemas.New("lossless_bad");

        Etlfast.Load(_dir.Write("things.bson", bytes), _dir.Write("m.json", Mapping), schema).Fails(4,
            $"document _id 2 at byte offset {BsonFile.Offsets(bytes)[1]}", $"field \"{field}\" for column \"{field}\" of table \"things\"", reason);
    }
}
