using System.Text;
using EtlFast.Core.Mapping;
using static EtlFast.Core.Tests.Mapping.MappingTestKit;

namespace EtlFast.Core.Tests.Mapping;

/// <summary>The JSON layer: comments, trailing commas, syntax errors with their line, raw defaults.</summary>
public sealed class MappingSyntaxTests
{
    [Fact]
    public void Comments_and_trailing_commas_are_accepted()
    {
        MappingDocument m = Parse("""
            // line comment before the object
            /* block
               comment */
            {
              "collection": "users", // after a value
              "tables": [
                {
                  "name": "users", /* inline */
                  "columns": [
                    { "name": "id", "type": "bigint", "from": "_id", },
                    { "name": "email", "from": "email" },
                  ],
                  "primaryKey": ["id",],
                },
              ],
            }
            // trailing comment
            """);
        Assert.Equal("users", m.Collection);
        TableMapping t = Assert.Single(m.Tables);
        Assert.Equal(2, t.Columns.Count);
        Assert.Equal(PgType.Text, t.Columns[1].Type);
        Assert.Equal(["id"], t.PrimaryKey);
        Assert.Equal(7, t.Line);
        Assert.Equal(10, t.Columns[0].Line);
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    [InlineData("\r")]
    public void Errors_name_the_line_the_user_sees_whatever_the_line_ends(string eol)
    {
        string[] lines =
        [
            "// a comment on line 1",
            "{",
            "  \"collection\": \"users\",",
            "  \"tables\": [",
            "    { \"name\": \"t\", \"columns\": [{ \"name\": \"a\", \"from\": \"a\", \"type\": \"no_such_type\" }] }",
            "  ]",
            "}",
        ];
        FailsAt(string.Join(eol, lines), 5, "no_such_type");

        lines[4] = "    { \"name\": \"t\" \"columns\": [] }";
        FailsAt(string.Join(eol, lines), 5, "invalid JSON");

        lines[4] = "    { \"name\": \"t\", \"columns\": [{ \"name\": \"a\", \"from\": \"a\" }] }";
        Assert.Equal(5, Parse(string.Join(eol, lines)).Tables[0].Line);
    }

    [Fact]
    public void Byte_order_mark_is_skipped()
    {
        byte[] json = [.. "\uFEFF"u8, .. """{"collection": "c", "tables": [{"name": "t", "columns": [{"name": "a", "from": "a"}]}]}"""u8];
        Assert.Equal("c", MappingParser.Parse(json, "bom.json").Collection);
    }

    [Fact]
    public void Missing_comma_is_a_syntax_error_at_its_line()
    {
        FailsAtMark("""
            {
              "collection": "users",
              "tables": [
                { "name": "t" "columns": [] } // <-
              ]
            }
            """, "invalid JSON", "fix the syntax");
    }

    [Fact]
    public void Unclosed_object_is_a_syntax_error()
    {
        MappingException e = Assert.Throws<MappingException>(() => Parse("{\n  \"collection\": \"users\",\n  \"tables\": [\n"));
        Assert.Contains("invalid JSON", e.Reason, StringComparison.Ordinal);
        Assert.Equal(4, e.Line);
    }

    [Fact]
    public void Single_quotes_are_a_syntax_error_at_their_line()
    {
        FailsAtMark("""
            {
              "collection": "users",
              'tables': [] // <-
            }
            """, "invalid JSON");
    }

    [Fact]
    public void Content_after_the_object_is_a_syntax_error()
    {
        FailsAtMark("""
            {"collection": "c", "tables": [{"name": "t", "columns": [{"name": "a", "from": "a"}]}]}
            {} // <-
            """, "invalid JSON");
    }

    [Fact]
    public void Empty_file_is_an_error()
    {
        MappingException e = Assert.Throws<MappingException>(() => Parse("  // nothing\n"));
        Assert.Contains("JSON", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_utf8_is_an_error_at_its_line()
    {
        byte[] json = [.. "{\n\"collection\": \""u8, 0xC3, 0x28, .. "\",\n\"tables\": []}"u8];
        MappingException e = Assert.Throws<MappingException>(() => MappingParser.Parse(json, "bad.json"));
        Assert.Equal(2, e.Line);
        Assert.Contains("UTF-8", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_key_is_an_error_at_the_second_key()
    {
        FailsAtMark("""
            {
              "collection": "users",
              "collection": "people", // <-
              "tables": []
            }
            """, "duplicate key \"collection\"");
    }

    [Fact]
    public void Top_level_must_be_an_object()
    {
        FailsAtMark("""
            // a list is not a mapping
            [ // <-
              {"collection": "users"}
            ]
            """, "must be a JSON object", "not an array");
    }

    [Fact]
    public void Default_keeps_its_json_text()
    {
        MappingDocument m = Parse("""
            {
              "collection": "c",
              "tables": [{
                "name": "t",
                "columns": [
                  { "name": "n", "type": "numeric(6,2)", "from": "n", "default": 1.50 },
                  { "name": "s", "from": "s", "default": "caf\u00e9 \"q\"" },
                  { "name": "j", "type": "jsonb", "from": "j", "default": { "a": [1, true, null], /* c */ "b\n": "x", } },
                  { "name": "z", "type": "integer", "from": "z", "default": -3e2 },
                  { "name": "none", "from": "none" }
                ]
              }]
            }
            """);
        IReadOnlyList<ColumnMapping> c = m.Tables[0].Columns;
        Assert.Equal("1.50", c[0].DefaultJson);
        Assert.Equal("\"caf\\u00e9 \\\"q\\\"\"", c[1].DefaultJson);
        Assert.Equal("{\"a\":[1,true,null],\"b\\n\":\"x\"}", c[2].DefaultJson);
        Assert.Equal("-3e2", c[3].DefaultJson);
        Assert.Null(c[4].DefaultJson);
    }

    [Fact]
    public void Escaped_names_are_unescaped()
    {
        MappingDocument m = Parse("""{"collection": "c", "tables": [{"name": "t\u00e9", "columns": [{"name": "a", "from": "caf\u00e9.x"}]}]}""");
        Assert.Equal("té", m.Tables[0].Name);
        Assert.Equal(["café", "x"], m.Tables[0].Columns[0].Source.Single!.Path);
    }

    [Fact]
    public void ParseFile_labels_errors_with_the_path()
    {
        string path = Path.Combine(Path.GetTempPath(), $"etlfast-mapping-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, "{\n  \"collection\": 5\n}\n", new UTF8Encoding(false));
        try
        {
            MappingException e = Assert.Throws<MappingException>(() => MappingParser.ParseFile(path));
            Assert.Equal(path, e.FileName);
            Assert.Equal(2, e.Line);
            Assert.Equal($"{path}:2: {e.Reason}", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ParseFile_of_a_missing_file_throws_the_io_error()
        => Assert.Throws<FileNotFoundException>(() => MappingParser.ParseFile(Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.json")));
}
