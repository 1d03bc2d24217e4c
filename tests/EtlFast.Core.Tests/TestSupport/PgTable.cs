using System.Text;
using Npgsql;

namespace EtlFast.Core.Tests.TestSupport;

/// <summary>One column as PostgreSQL describes it.</summary>
internal sealed record PgColumn(string Name, string Type, bool Nullable);

/// <summary>A whole table read back: its columns as the catalog gives them and every row.</summary>
internal sealed record PgTableData(string Name, IReadOnlyList<PgColumn> Columns, List<object?[]> Rows)
{
    public string[] ColumnNames => [.. Columns.Select(c => c.Name)];
}

/// <summary>
/// Reads tables back as plain values: bigint long, integer int, smallint short, text string,
/// boolean bool, double precision double, real float, timestamptz DateTime (UTC), numeric its exact
/// text (scale kept), jsonb <see cref="Json"/>, uuid Guid, bytea byte[], NULL null.
/// </summary>
internal static class PgTable
{
    public static IReadOnlyList<PgColumn> Columns(NpgsqlConnection conn, string schema, string table)
    {
        using var cmd = new NpgsqlCommand(
            """
            SELECT a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull
            FROM pg_attribute a
            JOIN pg_class c ON c.oid = a.attrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum
            """, conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = schema });
        cmd.Parameters.Add(new NpgsqlParameter { Value = table });
        var columns = new List<PgColumn>();
        using NpgsqlDataReader r = cmd.ExecuteReader();
        while (r.Read())
        {
            columns.Add(new PgColumn(r.GetString(0), r.GetString(1), r.GetBoolean(2)));
        }
        return columns;
    }

    public static PgTableData Read(NpgsqlConnection conn, string schema, string table)
    {
        IReadOnlyList<PgColumn> columns = Columns(conn, schema, table);
        Assert.True(columns.Count > 0, $"table {schema}.{table} does not exist (or has no columns)");
        var select = new StringBuilder("SELECT ");
        for (int i = 0; i < columns.Count; i++)
        {
            string q = TestPg.Quote(columns[i].Name);
            // numeric as text keeps its scale ("12.50") and any size; the rest come back typed.
            select.Append(i == 0 ? "" : ", ").Append(columns[i].Type.StartsWith("numeric", StringComparison.Ordinal) ? q + "::text" : q);
        }
        select.Append(" FROM ").Append(TestPg.Qualify(schema, table));
        using var cmd = new NpgsqlCommand(select.ToString(), conn);
        var rows = new List<object?[]>();
        using NpgsqlDataReader r = cmd.ExecuteReader();
        while (r.Read())
        {
            var row = new object?[columns.Count];
            for (int i = 0; i < row.Length; i++)
            {
                row[i] = r.IsDBNull(i) ? null : columns[i].Type == "jsonb" ? Json.Parse(r.GetString(i)) : r.GetValue(i);
            }
            rows.Add(row);
        }
        return new PgTableData(table, columns, rows);
    }

    public static long Count(NpgsqlConnection conn, string schema, string table)
        => (long)TestPg.Scalar(conn, $"SELECT count(*) FROM {TestPg.Qualify(schema, table)}")!;

    /// <summary>An order-independent digest of a table's contents: equal digests, equal tables.</summary>
    public static string Digest(NpgsqlConnection conn, string schema, string table)
        => (string?)TestPg.Scalar(conn, $"SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '') FROM {TestPg.Qualify(schema, table)} t") ?? "";

    /// <summary>Tables of a schema, by name.</summary>
    public static List<string> Tables(NpgsqlConnection conn, string schema)
    {
        using var cmd = new NpgsqlCommand(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'", conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = schema });
        var names = new List<string>();
        using NpgsqlDataReader r = cmd.ExecuteReader();
        while (r.Read())
        {
            names.Add(r.GetString(0));
        }
        names.Sort(StringComparer.Ordinal);
        return names;
    }
}
