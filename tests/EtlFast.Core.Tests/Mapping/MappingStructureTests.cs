using EtlFast.Core.Mapping;
using static EtlFast.Core.Tests.Mapping.MappingTestKit;

namespace EtlFast.Core.Tests.Mapping;

/// <summary>Keys, value types, required keys, duplicates and identifier limits, each at its line.</summary>
public sealed class MappingStructureTests
{
    [Fact]
    public void Unknown_table_key_suggests_the_near_miss()
    {
        FailsAtMark("""
            {
              "collection": "users",
              "tables": [
                {
                  "name": "users",
                  "colums": [ // <-
                    { "name": "id", "from": "_id" }
                  ]
                }
              ]
            }
            """, "unknown key \"colums\" in table \"users\"", "did you mean \"columns\"?");
    }

    [Fact]
    public void Unknown_top_level_key_suggests_the_near_miss()
    {
        FailsAtMark("""
            {
              "colection": "users", // <-
              "tables": []
            }
            """, "unknown key \"colection\" in the mapping", "did you mean \"collection\"?");
    }

    [Fact]
    public void Unknown_column_key_matches_case_insensitively()
    {
        FailsAtMark("""
            {
              "collection": "users",
              "tables": [{ "name": "users", "columns": [
                { "name": "id", "from": "_id",
                  "onmissing": "null" } // <-
              ]}]
            }
            """, "unknown key \"onmissing\" in column \"id\" of table \"users\"", "did you mean \"onMissing\"?");
    }

    [Fact]
    public void Unrelated_unknown_key_lists_the_allowed_keys_without_a_guess()
    {
        MappingException e = FailsAtMark("""
            {
              "collection": "users",
              "tables": [{ "name": "users", "columns": [{ "name": "id", "from": "_id" }],
                "comment": "x" }] // <-
            }
            """, "unknown key \"comment\"", "the keys allowed here are name, path, columns");
        Assert.DoesNotContain("did you mean", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Misspelt_name_is_reported_as_unknown_not_as_missing()
    {
        FailsAtMark("""
            {
              "collection": "users",
              "tables": [{
                "nmae": "users", // <-
                "columns": [{ "name": "id", "from": "_id" }] }]
            }
            """, "unknown key \"nmae\" in table #1", "did you mean \"name\"?");
    }

    [Fact]
    public void Wrong_value_type_for_a_string_key()
    {
        FailsAtMark("""
            {
              "collection": "users",
              "tables": [{
                "name": 5, // <-
                "columns": [{ "name": "id", "from": "_id" }] }]
            }
            """, "\"name\" must be a string, not a number");
    }

    [Fact]
    public void Wrong_value_type_for_a_bool_key()
    {
        FailsAtMark("""
            {
              "collection": "users",
              "tables": [{ "name": "users", "columns": [
                { "name": "id", "from": "_id", "nullable": "no" } // <-
              ] }]
            }
            """, "\"nullable\" must be true or false, not a string");
    }

    [Fact]
    public void Wrong_value_type_for_tables()
    {
        FailsAtMark("""
            {
              "collection": "users",
              "tables": { "name": "users" } // <-
            }
            """, "\"tables\" must be an array", "not an object");
    }

    [Fact]
    public void Wrong_value_type_for_primary_key()
    {
        FailsAtMark("""
            {
              "collection": "users",
              "tables": [{ "name": "users", "columns": [{ "name": "id", "from": "_id" }],
                "primaryKey": "id" }] // <-
            }
            """, "\"primaryKey\" must be an array", "\"primaryKey\": [\"id\"]");
    }

    [Fact]
    public void Wrong_value_type_for_a_table_entry()
    {
        FailsAtMark("""
            {
              "collection": "users",
              "tables": [
                "users" // <-
              ]
            }
            """, "each entry of \"tables\" must be an object", "not a string");
    }

    [Fact]
    public void Missing_collection_is_reported_at_the_mapping_object()
    {
        FailsAtMark("""
            // comment first
            { // <-
              "tables": [{ "name": "users", "columns": [{ "name": "id", "from": "_id" }] }]
            }
            """, "the mapping has no \"collection\"", "\"collection\": \"users\"");
    }

    [Fact]
    public void Missing_tables_is_reported_at_the_mapping_object()
    {
        FailsAtMark("""
            { // <-
              "collection": "users"
            }
            """, "the mapping has no \"tables\"");
    }

    [Fact]
    public void Missing_table_name_is_reported_at_the_table_object()
    {
        FailsAtMark("""
            {
              "collection": "users",
              "tables": [
                { "path": "address", // <-
                  "columns": [{ "name": "id", "from": "street" }] }
              ]
            }
            """, "table #1 has no \"name\"");
    }

    [Fact]
    public void Missing_columns_is_reported_at_the_table_object()
    {
        FailsAtMark("""
            {
              "collection": "users",
              "tables": [
                { "name": "users", "columns": [{ "name": "id", "from": "_id" }] },
                { "name": "addresses", // <-
                  "path": "address" }
              ]
            }
            """, "table \"addresses\" has no \"columns\"");
    }

    [Fact]
    public void Missing_from_is_reported_at_the_column_object()
    {
        FailsAtMark("""
            {
              "collection": "users",
              "tables": [{ "name": "users", "columns": [
                { "name": "id", "from": "_id" },
                { "name": "email", // <-
                  "type": "text" }
              ] }]
            }
            """, "column \"email\" of table \"users\" has no \"from\"");
    }

    [Fact]
    public void Empty_tables_array_is_an_error()
    {
        FailsAtMark("""
            {
              "collection": "users",
              "tables": [] // <-
            }
            """, "\"tables\" is empty");
    }

    [Fact]
    public void Empty_columns_array_is_an_error()
    {
        FailsAtMark("""
            {
              "collection": "users",
              "tables": [{ "name": "users",
                "columns": [] }] // <-
            }
            """, "table \"users\" has no columns");
    }

    [Fact]
    public void Empty_collection_is_an_error()
    {
        FailsAtMark("""
            {
              "collection": "", // <-
              "tables": [{ "name": "users", "columns": [{ "name": "id", "from": "_id" }] }]
            }
            """, "\"collection\" is empty");
    }

    [Fact]
    public void Duplicate_table_name_is_reported_at_the_second_name()
    {
        FailsAtMark("""
            {
              "collection": "users",
              "tables": [
                { "name": "users", "columns": [{ "name": "id", "from": "_id" }] },
                { "name": "users", "path": "address", // <-
                  "columns": [{ "name": "street", "from": "street" }] }
              ]
            }
            """, "table \"users\" is defined twice (first at line 4)");
    }

    [Fact]
    public void Duplicate_column_name_is_reported_at_the_second_name()
    {
        FailsAtMark("""
            {
              "collection": "users",
              "tables": [{ "name": "users", "columns": [
                { "name": "id", "from": "_id" },
                { "name": "email", "from": "email" },
                { "name": "id", "from": "username" } // <-
              ] }]
            }
            """, "table \"users\" has two columns named \"id\" (the first at line 4)");
    }

    [Fact]
    public void Empty_column_name_is_an_error()
    {
        FailsAtMark("""
            {
              "collection": "users",
              "tables": [{ "name": "users", "columns": [
                { "name": "", "from": "_id" } // <-
              ] }]
            }
            """, "column name is empty");
    }

    [Fact]
    public void Table_name_over_63_bytes_is_an_error()
    {
        string name = new('t', 64);
        FailsAtMark($$"""
            {
              "collection": "users",
              "tables": [{
                "name": "{{name}}", // <-
                "columns": [{ "name": "id", "from": "_id" }] }]
            }
            """, "is 64 bytes long in UTF-8", "truncate");
    }

    [Fact]
    public void Identifier_length_counts_utf8_bytes_not_characters()
    {
        string ok = new('t', 63);
        Assert.Equal(ok, Parse($$"""{"collection": "c", "tables": [{"name": "{{ok}}", "columns": [{"name": "a", "from": "a"}]}]}""").Tables[0].Name);
        string accented = string.Concat(Enumerable.Repeat("é", 32)); // 32 characters, 64 bytes
        FailsAtMark($$"""
            {
              "collection": "c",
              "tables": [{ "name": "t", "columns": [
                { "name": "{{accented}}", "from": "a" } // <-
              ] }]
            }
            """, "column name", "64 bytes");
    }

    [Fact]
    public void Schema_name_is_an_identifier_too()
    {
        FailsAtMark($$"""
            {
              "collection": "c",
              "schema": "{{new string('s', 70)}}", // <-
              "tables": [{ "name": "t", "columns": [{ "name": "a", "from": "a" }] }]
            }
            """, "schema name", "70 bytes");
    }

    [Fact]
    public void Optional_top_level_keys_are_read()
    {
        MappingDocument m = Parse("""
            {
              "collection": "users", "database": "db", "schema": "stage",
              "defaults": { "onMissing": "null", "onNull": "NULL", "onTypeMismatch": "reject" },
              "tables": [{ "name": "t", "columns": [{ "name": "a", "from": "a" }] }]
            }
            """);
        Assert.Equal("db", m.Database);
        Assert.Equal("stage", m.Schema);
        Assert.Equal(new PolicySet(ValuePolicy.Null, ValuePolicy.Null, ValuePolicy.Reject), m.Defaults);
    }
}
