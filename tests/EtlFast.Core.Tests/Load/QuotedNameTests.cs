using System.Text.Json;
using EtlFast.Core.Mapping;
using EtlFast.Core.Tests.Mapping;
using EtlFast.Core.Tests.TestSupport;
using MongoDB.Bson;
using Npgsql;

namespace EtlFast.Core.Tests.Load;

/// <summary>
/// Field names a plain path cannot spell ('.', a leading '$', a space, only digits, '+') are written
/// as quoted segments ("\"a.b\"") in "from" and "path", load their values, and are what infer
/// proposes instead of leaving such fields out.
/// </summary>
public sealed class QuotedNameTests : IDisposable
{
    private readonly Schemas _schemas = new();
    private readonly ScratchDir _dir = new();

    public void Dispose()
    {
        _schemas.Dispose();
        _dir.Dispose();
    }

    private static List<BsonDocument> Docs() =>
    [
        .. Enumerable.Range(1, 3).Select(i => new BsonDocument
        {
            { "_id", i },
            { "a.b", i * 10 },
            { "first name", $"n{i}" },
            { "$weird", i % 2 == 0 },
            { "2024", i + 0.5 },
            { "x+y", $"s{i}" },
            { "sub", new BsonDocument { { "x.y", i }, { "say \"hi\"", "q" } } },
            { "my items", new BsonArray { new BsonDocument("k k", i), new BsonDocument("k k", i + 100) } },
        }),
    ];

    private static string Q(string s) => JsonSerializer.Serialize(s);

    [Theory]
    [InlineData("\"a.b\"", "a.b")]
    [InlineData("sub.\"x.y\"", "sub|x.y")]
    [InlineData("$root.\"$weird\"", "$weird")]
    [InlineData("\"say \"\"hi\"\"\"", "say \"hi\"")]
    [InlineData("\"first name\" + 1", "first name")]
    public void A_quoted_segment_names_the_field_as_written(string from, string names)
    {
        MappingDocument m = MappingTestKit.Parse($$"""
            {"collection": "c", "tables": [{"name": "t", "columns": [{"name": "a", "type": "bigint", "from": {{Q(from)}} }]}]}
            """);
        Assert.Equal(names.Split('|'), m.Tables[0].Columns[0].Source.Terms[0].Ref!.Path);
    }

    [Theory]
    [InlineData("\"a.b", "has no closing '\"'")]
    [InlineData("\"a\"b", "a quoted name may be followed only by '.'")]
    [InlineData("\"\"", "empty quoted name")]
    public void A_bad_quoted_segment_is_reported(string from, string phrase)
        => MappingTestKit.FailsAtMark($$"""
            {"collection": "c", "tables": [{"name": "t", "columns": [
              {"name": "a", "type": "text", "from": {{Q(from)}} } // <-
            ]}]}
            """, phrase);

    [Fact]
    public void Fields_with_dots_dollars_spaces_and_digits_load_through_quoted_paths()
    {
        string mapping = $$"""
            {"collection": "things", "tables": [
              {"name": "things", "columns": [
                {"name": "id", "type": "bigint", "from": "_id"},
                {"name": "ab", "type": "bigint", "from": {{Q("\"a.b\"")}} },
                {"name": "first", "type": "text", "from": {{Q("\"first name\"")}} },
                {"name": "weird", "type": "boolean", "from": {{Q("\"$weird\"")}} },
                {"name": "y", "type": "double precision", "from": {{Q("\"2024\"")}} },
                {"name": "xy", "type": "text", "from": {{Q("\"x+y\"")}} },
                {"name": "sub_xy", "type": "bigint", "from": {{Q("sub.\"x.y\"")}} }
              ], "primaryKey": ["id"]},
              {"name": "items", "path": {{Q("\"my items\"[]")}}, "columns": [
                {"name": "id", "type": "bigint", "from": "$root._id * 100 + $index"},
                {"name": "k", "type": "bigint", "from": {{Q("\"k k\"")}} }
              ], "primaryKey": ["id"]}
            ]}
            """;
        string schema = _schemas.New("quoted");

        Etlfast.Load(_dir.Write("things.bson", BsonFile.Encode(Docs())), _dir.Write("m.json", mapping), schema).Ok();

        using NpgsqlConnection conn = TestPg.Open();
        Assert.Equal("2|20|n2|t|2.5|s2|2", TestPg.Scalar(conn,
            $"SELECT concat_ws('|', id, ab, first, weird, y, xy, sub_xy) FROM {TestPg.Qualify(schema, "things")} WHERE id = 2"));
        Assert.Equal("100|1;101|101;200|2;201|102;300|3;301|103",
            TestPg.Scalar(conn, $"SELECT string_agg(concat_ws('|', id, k), ';' ORDER BY id) FROM {TestPg.Qualify(schema, "items")}"));
    }

    [Fact]
    public void Infer_maps_such_fields_with_quoted_paths_and_the_load_keeps_every_value()
    {
        string source = _dir.Write("things.bson", BsonFile.Encode(Docs()));
        string mappingPath = _dir.File("things.json");

        Etlfast.Run(["infer", "--from", source, "-o", mappingPath, "-q"]).Ok();
        string text = File.ReadAllText(mappingPath);
        Assert.DoesNotContain("// NOT MAPPED", text, StringComparison.Ordinal);
        Assert.Contains("\"from\": \"\\\"a.b\\\"\"", text, StringComparison.Ordinal);
        Assert.Contains("\"path\": \"\\\"my items\\\"[]\"", text, StringComparison.Ordinal);

        string schema = _schemas.New("quoted_infer");
        Etlfast.Load(source, mappingPath, schema, "-q").Ok();

        using NpgsqlConnection conn = TestPg.Open();
        Assert.Equal(3L, TestPg.Scalar(conn, $"SELECT count(*) FROM {TestPg.Qualify(schema, "things")} WHERE a_b = id * 10"));
    }
}
