using EtlFast.Core.Tests.TestSupport;
using MongoDB.Bson;
using Npgsql;

namespace EtlFast.Core.Tests.Load;

/// <summary>
/// examples/nested-orders.json over generated customers: composite keys, nested arrays with $parent,
/// $ordinal and $index, a 1:1 table, a $value table, jsonb, every scalar type and every policy,
/// each table compared with the rows <see cref="NestedOrdersOracle"/> computes.
/// </summary>
public sealed class NestedOrdersTests : IDisposable
{
    private const int Customers = 300;
    private static readonly int[] RejectAt = [10, 20, 30, 40];
    private readonly Schemas _schemas = new();
    private readonly ScratchDir _dir = new();

    public void Dispose()
    {
        _schemas.Dispose();
        _dir.Dispose();
    }

    private static List<BsonDocument> Documents()
    {
        List<BsonDocument> docs = NestedOrdersData.Generate(Customers, seed: 5);
        NestedOrdersData.AddEdges(docs);
        NestedOrdersData.AddRejects(docs, RejectAt);
        return docs;
    }

    private static void AssertTables(NpgsqlConnection conn, string schema, List<ExpectedTable> expected)
    {
        Assert.Equal(expected.Select(t => t.Name).Order(StringComparer.Ordinal), PgTable.Tables(conn, schema));
        foreach (ExpectedTable t in expected)
        {
            TableAssert.Matches(conn, schema, t);
        }
        Assert.Equal(NestedOrdersOracle.Keys, PgConstraints.Keys(conn, schema));
        Assert.Equal(NestedOrdersOracle.Indexes, PgConstraints.Indexes(conn, schema));
    }

    [Theory]
    [InlineData("after", 2)]
    [InlineData("before", 1)]
    public void Every_table_equals_the_independent_computation_and_rejects_leave_no_row(string constraints, int jobs)
    {
        List<BsonDocument> docs = Documents();
        Assert.Equal(RejectAt.Length, docs.Count(NestedOrdersOracle.IsRejected));
        string file = _dir.Write("customers.bson", BsonFile.Encode(docs));
        string schema = _schemas.New("orders_" + constraints);

        string rejects = _dir.File("rejects");

        CliResult r = Etlfast.Load(file, NestedOrdersData.Mapping, schema, "--constraints", constraints, "-j", jobs.ToString(), "--reject-dir", rejects);

        Assert.True(r.Exit == 1, $"rejected documents: exit 1\n{r}");
        Assert.Contains($"loaded {Customers:N0} documents", r.Err);
        Assert.Contains($"{RejectAt.Length} documents rejected", r.Err);
        // The rejected documents, whole, in the reject file (loadable again once fixed), one log line each.
        List<BsonDocument> rejected = BsonFile.Decode(File.ReadAllBytes(Path.Combine(rejects, "customers.rejects.bson")));
        Assert.Equal(RejectAt.Select(i => docs[i]).OrderBy(d => d["num"].AsInt32), rejected.OrderBy(d => d["num"].AsInt32));
        string[] log = File.ReadAllLines(Path.Combine(rejects, "customers.rejects.log"));
        Assert.Equal(RejectAt.Length, log.Length);
        foreach (int i in RejectAt)
        {
            Assert.Single(log, line => line.Contains($"{{\"$oid\":\"{docs[i]["_id"].AsObjectId}\"}}", StringComparison.Ordinal));
        }
        List<ExpectedTable> expected = NestedOrdersOracle.Compute(docs);
        using NpgsqlConnection conn = TestPg.Open();
        AssertTables(conn, schema, expected);

        // The rejected customers had rows for every table before the reject; none may remain anywhere.
        foreach (int i in RejectAt)
        {
            long num = docs[i]["num"].AsInt32;
            foreach (ExpectedTable t in expected)
            {
                Assert.Equal(0L, (long)TestPg.Scalar(conn, $"SELECT count(*) FROM {TestPg.Qualify(schema, t.Name)} WHERE customer_no = $1", num)!);
            }
        }
    }

    [Fact]
    public void Without_rejects_the_load_exits_zero()
    {
        List<BsonDocument> docs = NestedOrdersData.Generate(50, seed: 6);
        NestedOrdersData.AddEdges(docs);
        Assert.DoesNotContain(docs, NestedOrdersOracle.IsRejected);
        string schema = _schemas.New("orders_ok");
        Etlfast.Load(_dir.Write("ok.bson", BsonFile.Encode(docs)), NestedOrdersData.Mapping, schema, "-j", "1").Ok();
        Assert.DoesNotContain("rejected", Etlfast.Load(_dir.File("ok.bson"), NestedOrdersData.Mapping, _schemas.New("orders_ok2"), "-j", "1").Ok().Err);
        using NpgsqlConnection conn = TestPg.Open();
        AssertTables(conn, schema, NestedOrdersOracle.Compute(docs));
    }

    /// <summary>The default "error" policy on a missing field: exit 4, a message naming the document, field, table and column, no rows.</summary>
    [Fact]
    public void A_missing_field_under_the_error_policy_stops_the_load_and_names_it()
    {
        List<BsonDocument> docs = NestedOrdersData.Generate(20, seed: 7);
        BsonDocument bad = docs[12];
        bad.Remove("createdAt");
        byte[] bytes = BsonFile.Encode(docs);
        string schema = _schemas.New("orders_missing");

        Etlfast.Load(_dir.Write("missing.bson", bytes), NestedOrdersData.Mapping, schema, "-j", "1").Fails(4,
            $"document _id {{\"$oid\":\"{bad["_id"].AsObjectId}\"}}", $"byte offset {BsonFile.Offsets(bytes)[12]}",
            "field \"createdAt\"", "column \"created_at\" of table \"customers\"", "missing");

        AssertEmpty(schema);
    }

    /// <summary>The default "error" policy on a mistyped value deep in nested arrays: the message gives the array positions.</summary>
    [Fact]
    public void A_mistyped_value_under_the_error_policy_names_its_array_positions()
    {
        List<BsonDocument> docs = NestedOrdersData.Generate(20, seed: 8);
        BsonDocument bad = docs[5];
        var line = new BsonDocument { { "sku", "x" }, { "qty", 1 }, { "price", "12.50" }, { "weightGrams", 1 } };
        bad["orders"] = new BsonArray
        {
            new BsonDocument { { "orderNo", "A" }, { "placedAt", new BsonDateTime(0) }, { "total", new BsonDecimal128(1) }, { "lines", new BsonArray() } },
            new BsonDocument { { "orderNo", "B" }, { "placedAt", new BsonDateTime(0) }, { "total", new BsonDecimal128(1) },
                { "lines", new BsonArray { new BsonDocument { { "sku", "ok" }, { "qty", 1 }, { "price", new BsonDecimal128(1) }, { "weightGrams", 1 } }, line } } },
        };
        string schema = _schemas.New("orders_mistyped");

        Etlfast.Load(_dir.Write("mistyped.bson", BsonFile.Encode(docs)), NestedOrdersData.Mapping, schema, "-j", "1").Fails(4,
            $"{{\"$oid\":\"{bad["_id"].AsObjectId}\"}}", "field \"orders.1.lines.1.price\"", "column \"price\" of table \"order_lines\"", "string");

        AssertEmpty(schema);
    }

    /// <summary>decimal128 at the ends of its range: numeric must hold every one exactly.</summary>
    [Fact]
    public void Extreme_decimals_load_exactly_into_numeric()
    {
        string[] values =
        [
            "9.999999999999999999999999999999999E+6144", "-9.999999999999999999999999999999999E+6144",
            "1E-6176", "-1.000000000000000000000000000000000E-6143", "0E-6176", "0E+6111", "123456789.0000000000000000000000000",
        ];
        List<BsonDocument> docs = NestedOrdersData.Generate(values.Length, seed: 9);
        for (int i = 0; i < values.Length; i++)
        {
            docs[i]["balance"] = new BsonDecimal128(Decimal128.Parse(values[i]));
        }
        string schema = _schemas.New("orders_decimals");
        Etlfast.Load(_dir.Write("decimals.bson", BsonFile.Encode(docs)), NestedOrdersData.Mapping, schema).Ok();
        using NpgsqlConnection conn = TestPg.Open();
        TableAssert.Matches(conn, schema, NestedOrdersOracle.Compute(docs)[0]);
    }

    private static void AssertEmpty(string schema)
    {
        using NpgsqlConnection conn = TestPg.Open();
        List<string> tables = PgTable.Tables(conn, schema);
        Assert.Equal(6, tables.Count);
        foreach (string t in tables)
        {
            Assert.Equal(0L, PgTable.Count(conn, schema, t));
        }
    }
}
