using EtlFast.Core.Mapping;
using static EtlFast.Core.Tests.Mapping.MappingTestKit;

namespace EtlFast.Core.Tests.Mapping;

/// <summary>Column type names, aliases and modifiers.</summary>
public sealed class MappingTypeTests
{
    private static ColumnMapping Typed(string? type)
    {
        string typeJson = type is null ? "" : $"\"type\": \"{type}\", ";
        return Parse($$"""{"collection": "c", "tables": [{"name": "t", "columns": [{"name": "a", {{typeJson}}"from": "a"}]}]}""").Tables[0].Columns[0];
    }

    [Theory]
    [InlineData(null, PgType.Text, "")]
    [InlineData("smallint", PgType.SmallInt, "")]
    [InlineData("INT2", PgType.SmallInt, "")]
    [InlineData("integer", PgType.Integer, "")]
    [InlineData("int", PgType.Integer, "")]
    [InlineData("Int4", PgType.Integer, "")]
    [InlineData("bigint", PgType.BigInt, "")]
    [InlineData("int8", PgType.BigInt, "")]
    [InlineData("real", PgType.Real, "")]
    [InlineData("float4", PgType.Real, "")]
    [InlineData("double precision", PgType.DoublePrecision, "")]
    [InlineData("DOUBLE   PRECISION", PgType.DoublePrecision, "")]
    [InlineData("float8", PgType.DoublePrecision, "")]
    [InlineData("double", PgType.DoublePrecision, "")]
    [InlineData("numeric", PgType.Numeric, "")]
    [InlineData("numeric(12,2)", PgType.Numeric, "(12,2)")]
    [InlineData("decimal( 12 , 2 )", PgType.Numeric, "(12,2)")]
    [InlineData("numeric(7)", PgType.Numeric, "(7)")]
    [InlineData("boolean", PgType.Boolean, "")]
    [InlineData("bool", PgType.Boolean, "")]
    [InlineData("text", PgType.Text, "")]
    [InlineData("varchar", PgType.Varchar, "")]
    [InlineData("varchar(20)", PgType.Varchar, "(20)")]
    [InlineData("character varying (20)", PgType.Varchar, "(20)")]
    [InlineData("timestamptz", PgType.TimestampTz, "")]
    [InlineData("timestamp with time zone", PgType.TimestampTz, "")]
    [InlineData("timestamp", PgType.Timestamp, "")]
    [InlineData("Timestamp Without Time Zone", PgType.Timestamp, "")]
    [InlineData("date", PgType.Date, "")]
    [InlineData("jsonb", PgType.Jsonb, "")]
    [InlineData("json", PgType.Json, "")]
    [InlineData("bytea", PgType.Bytea, "")]
    [InlineData("uuid", PgType.Uuid, "")]
    public void Type_names_and_aliases_map_to_pg_types(string? written, PgType type, string modifier)
    {
        ColumnMapping c = Typed(written);
        Assert.Equal(type, c.Type);
        Assert.Equal(modifier, c.TypeModifier);
        Assert.Equal(PgTypeNames.SqlName(type) + modifier, PgTypeNames.SqlType(c));
    }

    [Theory]
    [InlineData("bigitn", "unknown type \"bigitn\" (did you mean \"bigint\"?); use one of")]
    [InlineData("string", "unknown type \"string\"")]
    [InlineData("varchar(0)", "between 1 and 10485760")]
    [InlineData("varchar(5,2)", "varchar takes one length")]
    [InlineData("numeric(3,5)", "scale s between 0 and p")]
    [InlineData("numeric(0)", "precision p between 1 and 1000")]
    [InlineData("numeric(x)", "not a list of whole numbers")]
    [InlineData("numeric(5", "unclosed")]
    [InlineData("text(5)", "takes no modifier; write \"text\" without \"(5)\"")]
    [InlineData("timestamptz(3)", "takes no modifier")]
    public void Invalid_types_are_reported_at_the_type(string written, string phrase)
    {
        FailsAtMark($$"""
            {
              "collection": "c",
              "tables": [{ "name": "t", "columns": [
                { "name": "a", "from": "a",
                  "type": "{{written}}" } // <-
              ] }]
            }
            """, phrase);
    }
}
