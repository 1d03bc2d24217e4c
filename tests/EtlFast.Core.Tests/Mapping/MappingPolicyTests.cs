using EtlFast.Core.Mapping;
using static EtlFast.Core.Tests.Mapping.MappingTestKit;

namespace EtlFast.Core.Tests.Mapping;

/// <summary>onMissing / onNull / onTypeMismatch, defaults and nullability.</summary>
public sealed class MappingPolicyTests
{
    [Fact]
    public void Policies_resolve_column_then_table_then_defaults_then_error()
    {
        MappingDocument m = Parse("""
            {
              "collection": "c",
              "defaults": { "onNull": "null" },
              "tables": [{ "name": "t", "onMissing": "reject", "columns": [
                { "name": "a", "from": "a" },
                { "name": "b", "from": "b", "onMissing": "default", "default": "n/a", "onTypeMismatch": "Reject" },
                { "name": "c", "from": "c", "onNull": "error" }
              ] }]
            }
            """);
        TableMapping t = m.Tables[0];
        Assert.Equal(new PolicySet(null, ValuePolicy.Null, null), m.Defaults);
        Assert.Equal(new PolicySet(ValuePolicy.Reject, null, null), t.Policies);
        Assert.Equal(new PolicySet(ValuePolicy.Default, null, ValuePolicy.Reject), t.Columns[1].Policies);
        Assert.Equal(new PolicySet(ValuePolicy.Reject, ValuePolicy.Null, ValuePolicy.Error), MappingPolicies.Resolve(m, t, t.Columns[0]));
        Assert.Equal(new PolicySet(ValuePolicy.Default, ValuePolicy.Null, ValuePolicy.Reject), MappingPolicies.Resolve(m, t, t.Columns[1]));
        Assert.Equal(new PolicySet(ValuePolicy.Reject, ValuePolicy.Error, ValuePolicy.Error), MappingPolicies.Resolve(m, t, t.Columns[2]));
        Assert.True(MappingPolicies.IsNullable(m, t, t.Columns[0]));
        Assert.True(MappingPolicies.IsNullable(m, t, t.Columns[1]));
        Assert.False(MappingPolicies.IsNullable(m, t, t.Columns[2]));
        Assert.Equal("\"n/a\"", t.Columns[1].DefaultJson);
    }

    [Fact]
    public void Explicit_nullable_wins_and_a_null_default_makes_a_column_nullable()
    {
        MappingDocument m = Parse("""
            {
              "collection": "c",
              "tables": [{ "name": "t", "columns": [
                { "name": "a", "from": "a", "nullable": true },
                { "name": "b", "from": "b", "onMissing": "default", "default": null },
                { "name": "c", "from": "c", "nullable": false, "onMissing": "default", "default": "x" }
              ] }]
            }
            """);
        TableMapping t = m.Tables[0];
        Assert.True(MappingPolicies.IsNullable(m, t, t.Columns[0]));
        Assert.True(MappingPolicies.IsNullable(m, t, t.Columns[1]));
        Assert.False(MappingPolicies.IsNullable(m, t, t.Columns[2]));
        Assert.Equal(true, t.Columns[0].Nullable);
        Assert.Null(t.Columns[1].Nullable);
        Assert.Equal("null", t.Columns[1].DefaultJson);
    }

    [Fact]
    public void Unknown_policy_value_suggests_the_near_miss()
    {
        FailsAtMark("""
            {
              "collection": "c",
              "tables": [{ "name": "t", "columns": [
                { "name": "a", "from": "a",
                  "onNull": "rejct" } // <-
              ] }]
            }
            """, "\"onNull\" is \"rejct\"", "did you mean \"reject\"?", "must be one of");
    }

    [Fact]
    public void Default_policy_on_the_column_without_a_value_is_reported_at_the_policy()
    {
        FailsAtMark("""
            {
              "collection": "c",
              "tables": [{ "name": "t", "columns": [
                { "name": "age", "type": "integer", "from": "age",
                  "onMissing": "default" } // <-
              ] }]
            }
            """, "column \"age\" has \"onMissing\": \"default\" but no \"default\" value", "\"default\": 0");
    }

    [Fact]
    public void Inherited_default_policy_without_a_value_is_reported_at_the_column()
    {
        FailsAtMark("""
            {
              "collection": "c",
              "tables": [{ "name": "t",
                "onTypeMismatch": "default",
                "columns": [
                  { "name": "ok", "from": "ok", "default": "" },
                  { "name": "age", "type": "integer", "from": "age" } // <-
              ] }]
            }
            """, "\"onTypeMismatch\": \"default\" (from table \"t\", line 4) but no \"default\" value");
    }

    [Fact]
    public void Default_policy_from_mapping_defaults_is_traced_to_its_line()
    {
        FailsAtMark("""
            {
              "collection": "c",
              "defaults": {
                "onNull": "default"
              },
              "tables": [{ "name": "t", "columns": [
                { "name": "flag", "type": "bool", "from": "flag" } // <-
              ] }]
            }
            """, "(from \"defaults\", line 4)", "\"default\": false");
    }

    [Fact]
    public void Not_nullable_with_a_null_policy_is_reported_at_nullable()
    {
        FailsAtMark("""
            {
              "collection": "c",
              "defaults": { "onMissing": "null" },
              "tables": [{ "name": "t", "columns": [
                { "name": "a", "from": "a",
                  "nullable": false } // <-
              ] }]
            }
            """, "is \"nullable\": false, but \"onMissing\": \"null\" (from \"defaults\", line 3) would store NULL");
    }

    [Fact]
    public void Not_nullable_with_a_null_default_is_an_error()
    {
        FailsAtMark("""
            {
              "collection": "c",
              "tables": [{ "name": "t", "columns": [
                { "name": "a", "from": "a", "onNull": "default", "default": null,
                  "nullable": false } // <-
              ] }]
            }
            """, "\"onNull\": \"default\" with \"default\": null");
    }

    [Fact]
    public void Primary_key_column_that_could_be_null_is_an_error()
    {
        FailsAtMark("""
            {
              "collection": "c",
              "tables": [{ "name": "t", "onMissing": "null", "columns": [
                { "name": "id", "type": "bigint", "from": "_id" }
              ],
              "primaryKey": ["id"] }] // <-
            }
            """, "primary key column \"id\" could receive NULL", "(from table \"t\", line 3)");
    }

    [Fact]
    public void Primary_key_column_marked_nullable_is_an_error()
    {
        FailsAtMark("""
            {
              "collection": "c",
              "tables": [{ "name": "t", "columns": [
                { "name": "id", "type": "bigint", "from": "_id", "nullable": true }
              ],
              "primaryKey": ["id"] }] // <-
            }
            """, "primary key column \"id\" is \"nullable\": true");
    }

    [Theory]
    [InlineData("smallint", "32767")]
    [InlineData("smallint", "-32768")]
    [InlineData("integer", "2147483647")]
    [InlineData("integer", "1e3")]
    [InlineData("integer", "7.0")]
    [InlineData("bigint", "-9223372036854775808")]
    [InlineData("real", "1.5")]
    [InlineData("double precision", "-2.5e300")]
    [InlineData("numeric", "123456789012345678901234567890.5")]
    [InlineData("numeric(5,2)", "999.99")]
    [InlineData("numeric(5,2)", "0.001")]
    [InlineData("numeric(3)", "-1.2e2")]
    [InlineData("boolean", "true")]
    [InlineData("text", "\"\"")]
    [InlineData("varchar(3)", "\"héé\"")]
    [InlineData("timestamptz", "\"2024-01-31T12:00:00Z\"")]
    [InlineData("timestamptz", "\"2024-01-31 12:00:00.123456+02:00\"")]
    [InlineData("timestamp", "\"2024-01-31T12:00\"")]
    [InlineData("timestamp", "\"2024-01-31\"")]
    [InlineData("date", "\"2024-02-29\"")]
    [InlineData("uuid", "\"123e4567-e89b-12d3-a456-426614174000\"")]
    [InlineData("uuid", "\"123e4567e89b12d3a456426614174000\"")]
    [InlineData("bytea", "\"3q2+7w==\"")]
    [InlineData("jsonb", "{\"a\": [1, 2]}")]
    [InlineData("json", "\"x\"")]
    [InlineData("integer", "null")]
    public void Defaults_that_fit_are_accepted(string type, string value)
    {
        MappingDocument m = Parse($$"""
            {"collection": "c", "tables": [{"name": "t", "columns": [
              {"name": "a", "type": "{{type}}", "from": "a", "onMissing": "default", "default": {{value}}}]}]}
            """);
        Assert.NotNull(m.Tables[0].Columns[0].DefaultJson);
    }

    [Theory]
    [InlineData("smallint", "32768", "whole number between -32768 and 32767")]
    [InlineData("integer", "1.5", "whole number")]
    [InlineData("integer", "\"5\"", "whole number")]
    [InlineData("bigint", "9223372036854775808", "whole number")]
    [InlineData("real", "1e39", "out of the range of real")]
    [InlineData("double precision", "\"1\"", "expected a number")]
    [InlineData("numeric(5,2)", "1000", "4 digits before the decimal point, numeric(5,2) allows 3")]
    [InlineData("numeric(5,2)", "12345.5", "5 digits before the decimal point")]
    [InlineData("boolean", "1", "expected true or false")]
    [InlineData("text", "5", "expected a string")]
    [InlineData("text", "\"a\\u0000b\"", "NUL")]
    [InlineData("varchar(2)", "\"abc\"", "3 characters, varchar(2) holds at most 2")]
    [InlineData("timestamptz", "\"yesterday\"", "ISO-8601 date-time")]
    [InlineData("timestamptz", "\"2024-02-30T00:00:00Z\"", "ISO-8601 date-time")]
    [InlineData("date", "\"2024-01-31T00:00:00Z\"", "ISO-8601 date")]
    [InlineData("uuid", "\"not-a-uuid\"", "UUID")]
    [InlineData("bytea", "\"***\"", "base64")]
    [InlineData("jsonb", "\"\\u0000\"", "NUL")]
    public void Defaults_that_do_not_fit_are_reported_at_the_default(string type, string value, string phrase)
    {
        FailsAtMark($$"""
            {
              "collection": "c",
              "tables": [{ "name": "t", "columns": [
                { "name": "a", "type": "{{type}}", "from": "a",
                  "default": {{value}} } // <-
              ] }]
            }
            """, "does not fit column \"a\" of type", phrase);
    }
}
