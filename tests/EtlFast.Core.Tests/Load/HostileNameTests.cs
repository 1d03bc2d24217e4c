using System.Text;
using System.Text.Json;
using EtlFast.Core.Tests.TestSupport;
using MongoDB.Bson;
using Npgsql;

namespace EtlFast.Core.Tests.Load;

/// <summary>
/// Table, column, schema and field names made to break SQL built by pasting text: they must load as
/// the (strange) names they are, through every mode and both constraint timings, and harm nothing else.
/// </summary>
public sealed class HostileNameTests : IDisposable
{
    private readonly Schemas _schemas = new();
    private readonly ScratchDir _dir = new();

    public void Dispose()
    {
        _schemas.Dispose();
        _dir.Dispose();
    }

    private const string Parent = "x\"; drop table users; --";
    private const string Dotted = "dot.ted";
    private const string Child = "it's \"child\" ✓";

    /// <summary>The mapping, written with a JSON writer so every quote and non-ASCII character is escaped as JSON requires.</summary>
    private static string Mapping(string sentinel)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("collection", "weird");
            w.WriteStartArray("tables");

            Table(w, Parent, null,
                [("i\"d", "bigint", "_id", null), ("Mixed Case", "text", "we\"ird'field", null), ("naïve ✓", "integer", "ünï", null),
                 ($"x); drop table {sentinel}; --", "text", "plain", null), ("select", "boolean", "flag", null)],
                ["i\"d"]);
            w.WriteStartArray("indexes");
            w.WriteStartObject();
            w.WriteStartArray("columns");
            w.WriteStringValue("Mixed Case");
            w.WriteEndArray();
            w.WriteBoolean("unique", true);
            w.WriteEndObject();
            w.WriteStartArray();
            w.WriteStringValue("naïve ✓");
            w.WriteStringValue("select");
            w.WriteEndArray();
            w.WriteEndArray();
            w.WriteEndObject();

            Table(w, Dotted, "it€ms[]",
                [("k", "bigint", "$root._id * 100 + $index", null), ("parent\"id", "bigint", "$root._id", $"{Parent}.i\"d"),
                 ("val'ue", "text", "$value", null)],
                ["k"]);
            w.WriteEndObject();

            Table(w, Child, "it€ms[]",
                [("ref", "bigint", "$root._id * 100 + $index", $"{Dotted}.k"), ("', '); drop", "integer", "$ordinal", null)],
                ["ref"]);
            w.WriteEndObject();

            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void Table(Utf8JsonWriter w, string name, string? path, (string Name, string Type, string From, string? References)[] columns, string[] key)
    {
        w.WriteStartObject();
        w.WriteString("name", name);
        if (path is not null)
        {
            w.WriteString("path", path);
        }
        w.WriteStartArray("columns");
        foreach ((string n, string type, string from, string? references) in columns)
        {
            w.WriteStartObject();
            w.WriteString("name", n);
            w.WriteString("type", type);
            w.WriteString("from", from);
            if (references is not null)
            {
                w.WriteString("references", references);
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("primaryKey");
        foreach (string k in key)
        {
            w.WriteStringValue(k);
        }
        w.WriteEndArray();
    }

    private static List<BsonDocument> Documents(int from, int count) => [.. Enumerable.Range(from, count).Select(i => new BsonDocument
    {
        { "_id", i },
        { "we\"ird'field", $"v\"{i}'; drop table users; --" },
        { "ünï", i * 2 },
        { "plain", i % 2 == 0 ? "even" : "odd" },
        { "flag", i % 3 == 0 },
        { "it€ms", new BsonArray(Enumerable.Range(0, i % 4).Select(j => (BsonValue)$"item {j} of {i} \"q\"")) },
    })];

    private static List<ExpectedTable> Expected(string sentinel, IEnumerable<BsonDocument> docs)
    {
        var parent = new ExpectedTable(Parent, "i\"d").Column("i\"d", "bigint").Column("Mixed Case", "text").Column("naïve ✓", "integer")
            .Column($"x); drop table {sentinel}; --", "text").Column("select", "boolean");
        var dotted = new ExpectedTable(Dotted, "k").Column("k", "bigint").Column("parent\"id", "bigint").Column("val'ue", "text");
        var child = new ExpectedTable(Child, "ref").Column("ref", "bigint").Column("', '); drop", "integer");
        foreach (BsonDocument d in docs)
        {
            long id = d["_id"].AsInt32;
            parent.Add(id, d["we\"ird'field"].AsString, d["ünï"].AsInt32, d["plain"].AsString, d["flag"].AsBoolean);
            int j = 0;
            foreach (BsonValue item in d["it€ms"].AsBsonArray)
            {
                dotted.Add(id * 100 + j, id, item.AsString);
                child.Add(id * 100 + j, j);
                j++;
            }
        }
        return [parent, dotted, child];
    }

    [Fact]
    public void Hostile_names_load_through_every_mode_and_harm_nothing()
    {
        string tag = Guid.NewGuid().ToString("N")[..8];
        string sentinel = $"sentinel_{tag}";
        string schema = _schemas.Add($"s\"; drop table public.{sentinel}; -- {tag}");
        string mapping = _dir.Write("weird.json", Mapping(sentinel));
        using NpgsqlConnection conn = TestPg.Open();
        // Tables the names aim at: one in public, and a "users" and a sentinel inside the target schema itself.
        TestPg.Execute(conn, $"CREATE TABLE public.{sentinel} (v int); INSERT INTO public.{sentinel} VALUES (42)");
        TestPg.Execute(conn, $"CREATE SCHEMA {TestPg.Quote(schema)}; CREATE TABLE {TestPg.Qualify(schema, "users")} (v int); " +
            $"CREATE TABLE {TestPg.Qualify(schema, sentinel)} (v int); INSERT INTO {TestPg.Qualify(schema, "users")} VALUES (7)");
        try
        {
            List<BsonDocument> first = Documents(1, 30), second = Documents(31, 20), third = Documents(100, 25);
            string a = _dir.Write("a.bson", BsonFile.Encode(first));
            string b = _dir.Write("b.bson", BsonFile.Encode(second));
            string c = _dir.Write("c.bson", BsonFile.Encode(third));

            Etlfast.Load(a, mapping, schema, "-j", "2").Ok();                                        // create, keys after
            AssertLoaded(conn, schema, sentinel, first);
            Etlfast.Load(b, mapping, schema, "--mode", "clean", "--constraints", "before").Ok();    // drop, create with keys
            AssertLoaded(conn, schema, sentinel, second);
            Etlfast.Load(c, mapping, schema, "--mode", "truncate").Ok();
            AssertLoaded(conn, schema, sentinel, third);
            Etlfast.Load(a, mapping, schema, "--mode", "append", "-j", "2").Ok();
            AssertLoaded(conn, schema, sentinel, [.. third, .. first]);
            // A refused create names the strange table as it is.
            Etlfast.Load(b, mapping, schema).Fails(2, "already exist", Parent);
        }
        finally
        {
            TestPg.Execute(conn, $"DROP TABLE IF EXISTS public.{sentinel}");
        }
    }

    private static void AssertLoaded(NpgsqlConnection conn, string schema, string sentinel, List<BsonDocument> docs)
    {
        foreach (ExpectedTable t in Expected(sentinel, docs))
        {
            TableAssert.Matches(conn, schema, t);
        }
        Assert.Equal(new[]
        {
            $"FK {Child}(ref) -> {Dotted}(k)", $"FK {Dotted}(parent\"id) -> {Parent}(i\"d)",
            $"PK {Child}(ref)", $"PK {Dotted}(k)", $"PK {Parent}(i\"d)",
        }.Order(StringComparer.Ordinal), PgConstraints.Keys(conn, schema));
        Assert.Equal(new[] { $"UNIQUE {Parent}(Mixed Case)", $"{Parent}(naïve ✓, select)" }.Order(StringComparer.Ordinal),
            PgConstraints.Indexes(conn, schema));
        Assert.Equal(42, TestPg.Scalar(conn, $"SELECT v FROM public.{sentinel}"));
        Assert.Equal(7, TestPg.Scalar(conn, $"SELECT v FROM {TestPg.Qualify(schema, "users")}"));
        Assert.Equal(0L, PgTable.Count(conn, schema, sentinel));
        Assert.Equal(new[] { Child, Dotted, sentinel, "users", Parent }.Order(StringComparer.Ordinal), PgTable.Tables(conn, schema));
    }
}
