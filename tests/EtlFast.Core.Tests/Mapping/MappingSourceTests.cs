using EtlFast.Core.Mapping;
using static EtlFast.Core.Tests.Mapping.MappingTestKit;

namespace EtlFast.Core.Tests.Mapping;

/// <summary>Table paths and "from" expressions: what parses into what, and each mistake at its line.</summary>
public sealed class MappingSourceTests
{
    private static ColumnMapping Column(string from, string type = "bigint", string path = "items[]")
        => Parse($$"""
            {"collection": "c", "tables": [{"name": "t", "path": "{{path}}", "columns": [
              {"name": "x", "type": "{{type}}", "from": "{{from.Replace("\t", "\\t", StringComparison.Ordinal)}}"}]}]}
            """).Tables[0].Columns[0];

    private static string Show(SourceExpression e)
        => string.Join(" | ", e.Terms.Select(t => $"{t.Ref?.ToString() ?? "#"}*{t.Factor}+{t.Constant}"));

    [Theory]
    [InlineData("street", "text", "street*1+0")]
    [InlineData("coordinates.lat", "double precision", "coordinates.lat*1+0")]
    [InlineData("_id", "bigint", "_id*1+0")]
    [InlineData("$root._id", "bigint", "$root._id*1+0")]
    [InlineData("$parent.a.b", "text", "$parent.a.b*1+0")]
    [InlineData("$value", "jsonb", "$value*1+0")]
    [InlineData("$ordinal", "bigint", "$ordinal*1+0")]
    [InlineData("$index", "integer", "$index*1+0")]
    [InlineData("$root._id * 10000 + $ordinal", "bigint", "$root._id*10000+0 | $ordinal*1+0")]
    [InlineData("10000 * $root._id + $index", "bigint", "$root._id*10000+0 | $index*1+0")]
    [InlineData("$ordinal + 1", "bigint", "$ordinal*1+0 | #*0+1")]
    [InlineData("$ordinal - 1", "bigint", "$ordinal*1+0 | #*0+-1")]
    [InlineData("$ordinal + -1", "bigint", "$ordinal*1+0 | #*0+-1")]
    [InlineData("- $index", "bigint", "$index*-1+0")]
    [InlineData("a - b * 2", "numeric", "a*1+0 | b*-2+0")]
    [InlineData("42", "smallint", "#*0+42")]
    [InlineData("  $ordinal\t+\t7  ", "bigint", "$ordinal*1+0 | #*0+7")]
    [InlineData("first-name", "text", "first-name*1+0")]
    public void Expressions_parse_into_terms(string from, string type, string expected)
    {
        ColumnMapping c = Column(from, type);
        Assert.Equal(expected, Show(c.Source));
        Assert.Equal(from, c.From);
    }

    [Fact]
    public void Single_is_set_only_for_one_plain_reference()
    {
        Assert.NotNull(Column("$ordinal").Source.Single);
        Assert.Null(Column("$ordinal + 0").Source.Single);
        Assert.Null(Column("$ordinal * 2").Source.Single);
        Assert.Null(Column("- $ordinal").Source.Single);
        Assert.Null(Column("7").Source.Single);
    }

    [Fact]
    public void Ordinal_and_index_are_allowed_under_an_array_even_in_a_subdocument_table()
    {
        ColumnMapping c = Column("$index", "integer", "messages[].meta");
        Assert.Equal(SourceKind.Index, c.Source.Single!.Kind);
        Assert.Equal(SourceKind.Value, Column("$value", "jsonb", "address").Source.Single!.Kind);
        Assert.Equal(SourceScope.Parent, Column("$parent.x", "text", "address").Source.Single!.Scope);
    }

    [Theory]
    [InlineData("a.b[]", "a.b[]", 2)]
    [InlineData("x", "x", 1)]
    [InlineData("first-name.$x[]", null, 0)]
    [InlineData("a.b[].c", "a.b[].c", 3)]
    public void Table_paths_parse_into_segments(string path, string? rebuilt, int count)
    {
        if (rebuilt is null)
        {
            Assert.Throws<MappingException>(() => Column("$value", "jsonb", path));
            return;
        }
        TableMapping t = Parse($$"""{"collection": "c", "tables": [{"name": "t", "path": "{{path}}", "columns": [{"name": "x", "from": "$value"}]}]}""").Tables[0];
        Assert.Equal(count, t.PathSegments.Count);
        Assert.Equal(rebuilt, string.Join('.', t.PathSegments.Select(s => s.IsArray ? s.Name + "[]" : s.Name)));
    }

    [Theory]
    [InlineData("a..b", "has an empty segment")]
    [InlineData(".a", "has an empty segment")]
    [InlineData("a.", "has an empty segment")]
    [InlineData("[]", "has an empty segment")]
    [InlineData("", "\"path\" is empty")]
    [InlineData("a[0]", "may only appear as a trailing \"[]\"")]
    [InlineData("a[][]", "arrays of arrays")]
    [InlineData("$a.b", "starts with '$'")]
    [InlineData("a b", "contains whitespace")]
    public void Invalid_table_path_is_reported_at_the_path(string path, string phrase)
    {
        FailsAtMark($$"""
            {
              "collection": "c",
              "tables": [{ "name": "t",
                "path": "{{path}}", // <-
                "columns": [{ "name": "x", "type": "jsonb", "from": "$value" }] }]
            }
            """, phrase);
    }

    [Theory]
    [InlineData("", "\"from\" is empty")]
    [InlineData("$root", "$root needs a field path")]
    [InlineData("$parent", "$parent needs a field path")]
    [InlineData("$foo.bar", "unknown reference \"$foo.bar\"")]
    [InlineData("$Ordinal", "did you mean \"$ordinal\"?")]
    [InlineData("$ordinal+1", "operators need spaces around them")]
    [InlineData("$root._id*10000+$ordinal", "field path \"_id*10000+$ordinal\" contains '*'; operators need spaces around them")]
    [InlineData("a+1", "field path \"a+1\" contains '+'")]
    [InlineData("-$index", "put a space after the '-'")]
    [InlineData("$value.x", "$value takes no field path")]
    [InlineData("a..b", "has an empty segment")]
    [InlineData("a.$b", "starts with '$'")]
    [InlineData("a[0]", "cannot appear in a field path")]
    [InlineData("tags[]", "iterates an array")]
    [InlineData("a b", "expected + or - before \"b\"")]
    [InlineData("$ordinal +", "ends with an operator")]
    [InlineData("$ordinal *", "ends with an operator")]
    [InlineData("+ $ordinal", "operator \"+\" where a reference or number was expected")]
    [InlineData("a * b", "multiplies two references")]
    [InlineData("2 * 3", "multiplies two numbers")]
    [InlineData("a * 2 * 3", "one reference by one whole number only")]
    [InlineData("99999999999999999999", "out of the 64-bit integer range")]
    public void Invalid_expression_is_reported_at_the_from(string from, string phrase)
    {
        FailsAtMark($$"""
            {
              "collection": "c",
              "tables": [{ "name": "t", "path": "items[]", "columns": [
                { "name": "x", "type": "bigint",
                  "from": "{{from}}" } // <-
              ] }]
            }
            """, phrase);
    }

    [Theory]
    [InlineData("text")]
    [InlineData("double precision")]
    [InlineData("jsonb")]
    public void Arithmetic_needs_an_integer_column(string type)
    {
        FailsAtMark($$"""
            {
              "collection": "c",
              "tables": [{ "name": "t", "path": "items[]", "columns": [
                { "name": "id", "type": "{{type}}",
                  "from": "$root._id * 100 + $ordinal" } // <-
              ] }]
            }
            """, "is integer arithmetic", "give the column type bigint, integer, smallint or numeric");
    }

    [Theory]
    [InlineData("smallint")]
    [InlineData("integer")]
    [InlineData("bigint")]
    [InlineData("numeric(20)")]
    public void Arithmetic_is_allowed_into_integer_columns(string type)
        => Assert.Equal(2, Column("$root._id * 100 + $ordinal", type).Source.Terms.Count);

    [Fact]
    public void Bare_ordinal_needs_an_integer_or_text_column()
    {
        FailsAtMark("""
            {
              "collection": "c",
              "tables": [{ "name": "t", "path": "items[]", "columns": [
                { "name": "n", "type": "double precision", "from": "$ordinal" } // <-
              ] }]
            }
            """, "$ordinal is an integer", "column \"n\" is double precision");
        Assert.Equal(SourceKind.Index, Column("$index", "text").Source.Single!.Kind);
        Assert.Equal(SourceKind.Ordinal, Column("$ordinal", "varchar(10)").Source.Single!.Kind);
    }

    [Theory]
    [InlineData("$ordinal", "address")]
    [InlineData("$index", "address.geo")]
    [InlineData("$ordinal", null)]
    public void Ordinal_and_index_need_an_array_path(string from, string? path)
    {
        string pathJson = path is null ? "" : $"\"path\": \"{path}\", ";
        FailsAtMark($$"""
            {
              "collection": "c",
              "tables": [{ "name": "t", {{pathJson}}"columns": [
                { "name": "n", "type": "bigint", "from": "{{from}}" } // <-
              ] }]
            }
            """, $"{from} counts array items", "iterates no array");
    }

    [Fact]
    public void Value_needs_a_path()
    {
        FailsAtMark("""
            {
              "collection": "c",
              "tables": [{ "name": "t", "columns": [
                { "name": "doc", "type": "jsonb", "from": "$value" } // <-
              ] }]
            }
            """, "$value is the row's own value", "reads the root document");
    }

    [Fact]
    public void Parent_is_undefined_in_a_root_table()
    {
        FailsAtMark("""
            {
              "collection": "c",
              "tables": [{ "name": "t", "columns": [
                { "name": "id", "from": "_id", "type": "bigint" },
                { "name": "p", "from": "$parent.id" } // <-
              ] }]
            }
            """, "\"$parent.id\": table \"t\" reads the root document, which has no parent");
    }
}
