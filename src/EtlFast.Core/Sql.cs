using EtlFast.Core.Mapping;
using EtlFast.PgCopy;

namespace EtlFast.Core;

/// <summary>SQL text built from mapping names: every identifier quoted, nothing else interpolated.</summary>
public static class Sql
{
    /// <summary>A quoted identifier: <c>x"y</c> becomes <c>"x""y"</c>.</summary>
    public static string Quote(string identifier) => PgIdentifier.Quote(identifier);

    public static string Qualify(string schema, string name) => PgIdentifier.Qualify(schema, name);

    public static string TypeName(PgType type, string modifier) => type switch
    {
        PgType.SmallInt => "smallint",
        PgType.Integer => "integer",
        PgType.BigInt => "bigint",
        PgType.Real => "real",
        PgType.DoublePrecision => "double precision",
        PgType.Numeric => "numeric" + modifier,
        PgType.Boolean => "boolean",
        PgType.Text => "text",
        PgType.Varchar => "varchar" + modifier,
        PgType.TimestampTz => "timestamptz",
        PgType.Timestamp => "timestamp",
        PgType.Date => "date",
        PgType.Jsonb => "jsonb",
        PgType.Json => "json",
        PgType.Bytea => "bytea",
        PgType.Uuid => "uuid",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };
}
