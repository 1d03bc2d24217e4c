using System.Net.Sockets;
using EtlFast.Core.Plan;
using Npgsql;

namespace EtlFast.Core.Load;

/// <summary>What a read-only look at the target found, for <c>load --dry-run</c>.</summary>
public sealed record TargetState
{
    /// <summary>Why the target could not be checked (password removed); null when it was.</summary>
    public string? Error { get; init; }
    public string? ServerVersion { get; init; }
    public bool SchemaExists { get; init; }
    /// <summary>The plan's tables that exist, in plan order.</summary>
    public IReadOnlyList<string> ExistingTables { get; init; } = [];
    /// <summary>True when the checkpoint tables (schema "etlfast") exist.</summary>
    public bool CheckpointsExist { get; init; }
    /// <summary>The checkpoints' record of this load (same source, mapping, schema, chunk size), if any.</summary>
    public RunState? Run { get; init; }

    public bool Checked => Error is null;
}

/// <summary>
/// Looks at the target without changing it: one connection whose session is read-only
/// (<c>default_transaction_read_only</c>), catalog queries only.
/// </summary>
public static class TargetInspection
{
    public static TargetState Inspect(LoadPlan plan, LoadOptions options, string? runId)
    {
        try
        {
            using NpgsqlDataSource source = new NpgsqlSlimDataSourceBuilder(options.Target.ConnectionString).Build();
            using NpgsqlConnection conn = source.OpenConnection();
            SchemaBuilder.Execute(conn, "SET default_transaction_read_only = on");
            bool checkpoints = Exists(conn, $"SELECT to_regclass('{Checkpoints.Schema}.runs') IS NOT NULL AND to_regclass('{Checkpoints.Schema}.chunks') IS NOT NULL");
            return new TargetState
            {
                ServerVersion = conn.PostgreSqlVersion.ToString(),
                SchemaExists = Exists(conn, "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1)", plan.Schema),
                ExistingTables = SchemaBuilder.ExistingTables(conn, plan),
                CheckpointsExist = checkpoints,
                Run = checkpoints && runId is not null ? Checkpoints.Find(conn, runId) : null,
            };
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException or IOException)
        {
            string message = e is PostgresException pg ? pg.MessageText : e.Message;
            string? password = options.Target.Builder.Password;
            return new TargetState
            {
                Error = string.IsNullOrEmpty(password) ? message : message.Replace(password, "********", StringComparison.Ordinal),
            };
        }
    }

    private static bool Exists(NpgsqlConnection conn, string sql, string? parameter = null)
    {
        using var cmd = new NpgsqlCommand(sql, conn);
        if (parameter is not null)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }
        return cmd.ExecuteScalar() is true;
    }
}
