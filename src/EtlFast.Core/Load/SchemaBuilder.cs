using System.Text;
using EtlFast.Core.Plan;
using Npgsql;

namespace EtlFast.Core.Load;

/// <summary>DDL for the mapped tables: create/clean/truncate/append before the load, keys and indexes after it.</summary>
public static class SchemaBuilder
{
    public static string CreateTableSql(LoadPlan plan, TablePlan table, bool withConstraints)
    {
        var sb = new StringBuilder();
        sb.Append("CREATE TABLE ").Append(table.QualifiedName).Append(" (");
        for (int i = 0; i < table.Columns.Length; i++)
        {
            ColumnPlan c = table.Columns[i];
            sb.Append(i == 0 ? "\n  " : ",\n  ").Append(Sql.Quote(c.Name)).Append(' ').Append(c.SqlType);
            if (!c.Nullable)
            {
                sb.Append(" NOT NULL");
            }
        }
        if (withConstraints && PrimaryKeyClause(table) is { } pk)
        {
            sb.Append(",\n  ").Append(pk);
        }
        sb.Append("\n)");
        return sb.ToString();
    }

    private static string? PrimaryKeyClause(TablePlan table) => table.Mapping.PrimaryKey.Count == 0
        ? null
        : $"PRIMARY KEY ({string.Join(", ", table.Mapping.PrimaryKey.Select(Sql.Quote))})";

    private static IEnumerable<string> ForeignKeyClauses(LoadPlan plan, TablePlan table) =>
        table.Mapping.Columns.Where(c => c.References is not null).Select(c =>
            $"CONSTRAINT {Sql.Quote(ObjectName(table.Name, [c.Name], "fkey"))} FOREIGN KEY ({Sql.Quote(c.Name)}) REFERENCES {Sql.Qualify(plan.Schema, c.References!.Table)} ({Sql.Quote(c.References.Column)})");

    /// <summary>
    /// PostgreSQL's own naming ("table_col_fkey"), kept within 63 bytes by shortening and a hash, so that
    /// names are stable: a resumed run recognises the keys and indexes it built before.
    /// </summary>
    public static string ObjectName(string table, IEnumerable<string> columns, string suffix)
    {
        string name = $"{table}_{string.Join('_', columns)}_{suffix}";
        if (System.Text.Encoding.UTF8.GetByteCount(name) <= 63)
        {
            return name;
        }
        string hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name)))[..8];
        string head = name;
        while (System.Text.Encoding.UTF8.GetByteCount(head) > 63 - hash.Length - suffix.Length - 2)
        {
            head = head[..^1];
        }
        return $"{head}_{hash}_{suffix}";
    }

    /// <summary>
    /// Statements that build keys and indexes, in waves that each depend on the ones before: primary
    /// keys, unique indexes (foreign keys may target them), foreign keys, other indexes. Statements of
    /// one wave are independent and may run in parallel.
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<string>> ConstraintWaves(LoadPlan plan, bool includeKeys)
    {
        var keys = new List<string>();
        var unique = new List<string>();
        var foreign = new List<string>();
        var indexes = new List<string>();
        foreach (TablePlan t in plan.Tables)
        {
            if (includeKeys && PrimaryKeyClause(t) is { } pk)
            {
                keys.Add($"ALTER TABLE {t.QualifiedName} ADD {pk}");
            }
            foreign.AddRange(ForeignKeyClauses(plan, t).Select(fk => $"ALTER TABLE {t.QualifiedName} ADD {fk}"));
            foreach (var index in t.Mapping.Indexes)
            {
                string name = Sql.Quote(ObjectName(t.Name, index.Columns, index.Unique ? "key" : "idx"));
                (index.Unique ? unique : indexes).Add(
                    $"CREATE {(index.Unique ? "UNIQUE " : "")}INDEX IF NOT EXISTS {name} ON {t.QualifiedName} ({string.Join(", ", index.Columns.Select(Sql.Quote))})");
            }
        }
        return [keys, unique, foreign, indexes];
    }

    /// <summary>Prepares the tables as the mode says, in one transaction.</summary>
    public static void Prepare(NpgsqlConnection conn, LoadPlan plan, LoadMode mode, ConstraintTiming timing)
    {
        List<string> existing = ExistingTables(conn, plan);
        switch (mode)
        {
            case LoadMode.Create when existing.Count > 0:
                throw new LoadException(FailureKind.Usage,
                    $"table{(existing.Count > 1 ? "s" : "")} {string.Join(", ", existing.Select(t => $"\"{plan.Schema}.{t}\""))} already exist{(existing.Count > 1 ? "" : "s")}",
                    "--mode create (the default) makes new tables and never touches existing ones",
                    "use --mode clean to drop and recreate them, --mode truncate to empty them, or --mode append to add rows");
            case LoadMode.Truncate or LoadMode.Append:
                var missing = plan.Tables.Select(t => t.Name).Except(existing).ToList();
                if (missing.Count > 0)
                {
                    throw new LoadException(FailureKind.Usage,
                        $"table{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing.Select(t => $"\"{plan.Schema}.{t}\""))} do{(missing.Count > 1 ? "" : "es")} not exist",
                        $"--mode {mode.ToString().ToLowerInvariant()} loads into existing tables",
                        "use --mode create to create them");
                }
                break;
        }

        using NpgsqlTransaction tx = conn.BeginTransaction();
        foreach (string statement in PrepareStatements(plan, mode, timing))
        {
            Execute(conn, statement);
        }
        tx.Commit();
    }

    /// <summary>
    /// The statements <see cref="Prepare"/> runs, in order, in one transaction (after its checks of which
    /// tables exist): what <c>load --dry-run</c> prints.
    /// </summary>
    public static IReadOnlyList<string> PrepareStatements(LoadPlan plan, LoadMode mode, ConstraintTiming timing)
    {
        var statements = new List<string>();
        if (mode is LoadMode.Create or LoadMode.Clean)
        {
            statements.Add($"CREATE SCHEMA IF NOT EXISTS {Sql.Quote(plan.Schema)}");
        }
        if (mode == LoadMode.Clean)
        {
            foreach (TablePlan t in plan.Tables.Reverse())
            {
                statements.Add($"DROP TABLE IF EXISTS {t.QualifiedName} CASCADE");
            }
        }
        if (mode is LoadMode.Create or LoadMode.Clean)
        {
            foreach (TablePlan t in plan.Tables)
            {
                statements.Add(CreateTableSql(plan, t, timing == ConstraintTiming.Before));
            }
            if (timing == ConstraintTiming.Before)
            {
                foreach (IReadOnlyList<string> wave in ConstraintWaves(plan, includeKeys: false))
                {
                    statements.AddRange(wave);
                }
            }
        }
        if (mode == LoadMode.Truncate)
        {
            statements.Add($"TRUNCATE {string.Join(", ", plan.Tables.Select(t => t.QualifiedName))}");
        }
        return statements;
    }

    /// <summary>The plan's tables that exist in its schema, in plan order.</summary>
    public static List<string> ExistingTables(NpgsqlConnection conn, LoadPlan plan)
    {
        var found = new List<string>();
        using var cmd = new NpgsqlCommand(
            "SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2", conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = plan.Schema });
        cmd.Parameters.Add(new NpgsqlParameter { Value = "" });
        foreach (TablePlan t in plan.Tables)
        {
            cmd.Parameters[1].Value = t.Name;
            if (cmd.ExecuteScalar() is not null)
            {
                found.Add(t.Name);
            }
        }
        return found;
    }

    public static void Execute(NpgsqlConnection conn, string sql)
    {
        using var cmd = new NpgsqlCommand(sql, conn);
        cmd.ExecuteNonQuery();
    }
}
