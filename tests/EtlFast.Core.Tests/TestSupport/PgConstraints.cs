using Npgsql;

namespace EtlFast.Core.Tests.TestSupport;

/// <summary>Keys and indexes of a schema as the catalog holds them, in a compact text form for assertions.</summary>
internal static class PgConstraints
{
    /// <summary>
    /// "PK table(a, b)" and "FK table(a) -> schema.table(b)" for every primary and foreign key of the
    /// schema, sorted; only validated constraints count.
    /// </summary>
    public static List<string> Keys(NpgsqlConnection conn, string schema)
    {
        using var cmd = new NpgsqlCommand(
            """
            SELECT c.contype::text, rel.relname, c.convalidated,
              (SELECT string_agg(a.attname, ', ' ORDER BY k.ord) FROM unnest(c.conkey) WITH ORDINALITY k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum),
              fn.nspname, frel.relname,
              (SELECT string_agg(a.attname, ', ' ORDER BY k.ord) FROM unnest(c.confkey) WITH ORDINALITY k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum)
            FROM pg_constraint c
            JOIN pg_class rel ON rel.oid = c.conrelid
            JOIN pg_namespace n ON n.oid = rel.relnamespace
            LEFT JOIN pg_class frel ON frel.oid = c.confrelid
            LEFT JOIN pg_namespace fn ON fn.oid = frel.relnamespace
            WHERE n.nspname = $1 AND c.contype IN ('p', 'f')
            """, conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = schema });
        var keys = new List<string>();
        using NpgsqlDataReader r = cmd.ExecuteReader();
        while (r.Read())
        {
            string text = r.GetString(0) == "p"
                ? $"PK {r.GetString(1)}({r.GetString(3)})"
                : $"FK {r.GetString(1)}({r.GetString(3)}) -> {(r.GetString(4) == schema ? "" : r.GetString(4) + ".")}{r.GetString(5)}({r.GetString(6)})";
            keys.Add(r.GetBoolean(2) ? text : text + " NOT VALID");
        }
        keys.Sort(StringComparer.Ordinal);
        return keys;
    }

    /// <summary>"table(a, b)" or "UNIQUE table(a)" for every index of the schema that backs no constraint, sorted.</summary>
    public static List<string> Indexes(NpgsqlConnection conn, string schema)
    {
        using var cmd = new NpgsqlCommand(
            """
            SELECT t.relname, i.indisunique,
              (SELECT string_agg(a.attname, ', ' ORDER BY k.ord) FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum)
            FROM pg_index i
            JOIN pg_class t ON t.oid = i.indrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace
            WHERE n.nspname = $1 AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x'))
            """, conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = schema });
        var indexes = new List<string>();
        using NpgsqlDataReader r = cmd.ExecuteReader();
        while (r.Read())
        {
            indexes.Add($"{(r.GetBoolean(1) ? "UNIQUE " : "")}{r.GetString(0)}({r.GetString(2)})");
        }
        indexes.Sort(StringComparer.Ordinal);
        return indexes;
    }
}
