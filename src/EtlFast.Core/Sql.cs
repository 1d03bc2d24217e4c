using EtlFast.PgCopy;

namespace EtlFast.Core;

/// <summary>SQL text built from mapping names: every identifier quoted, nothing else interpolated.</summary>
public static class Sql
{
    /// <summary>A quoted identifier: <c>x"y</c> becomes <c>"x""y"</c>.</summary>
    public static string Quote(string identifier) => PgIdentifier.Quote(identifier);

    public static string Qualify(string schema, string name) => PgIdentifier.Qualify(schema, name);
}
