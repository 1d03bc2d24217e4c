using EtlFast.Core.Load;
using Npgsql;

namespace EtlFast.Core.Sync;

/// <summary>
/// Where each sync stands in its change stream, kept in the target (table etlfast.sync_positions) and
/// written in the same transaction as the rows of the batch it ends, so that after a crash the stream
/// is resumed exactly after the last batch that committed.
/// </summary>
public static class SyncPositions
{
    /// <summary>A stored position: the change stream's resume token (its BSON), and the cluster time of the last change applied.</summary>
    public sealed record Position(byte[] ResumeToken, long ClusterTime, long Applied);

    public static void EnsureTable(NpgsqlConnection conn)
    {
        Checkpoints.EnsureTables(conn); // the schema, created under the bookkeeping's lock
        using NpgsqlTransaction tx = conn.BeginTransaction();
        SchemaBuilder.Execute(conn, "SELECT pg_advisory_xact_lock(7402220114)"); // concurrent creators queue, not collide in pg_type
        SchemaBuilder.Execute(conn, $"""
            CREATE TABLE IF NOT EXISTS {Checkpoints.Schema}.sync_positions (
              sync_id text PRIMARY KEY,
              resume_token bytea NOT NULL,
              cluster_time bigint NOT NULL,
              applied bigint NOT NULL,
              updated_at timestamptz NOT NULL DEFAULT now())
            """);
        tx.Commit();
    }

    /// <summary>The stored position of <paramref name="syncId"/>, or null when it never stored one.</summary>
    public static Position? Read(NpgsqlConnection conn, string syncId)
    {
        using var cmd = new NpgsqlCommand($"SELECT resume_token, cluster_time, applied FROM {Checkpoints.Schema}.sync_positions WHERE sync_id = $1", conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = syncId });
        using NpgsqlDataReader r = cmd.ExecuteReader();
        return r.Read() ? new Position((byte[])r[0], r.GetInt64(1), r.GetInt64(2)) : null;
    }

    /// <summary>Stores the position reached, adding <paramref name="applied"/> changes to the count; call inside the batch's transaction.</summary>
    public static void Write(NpgsqlConnection conn, string syncId, byte[] resumeToken, long clusterTime, long applied)
    {
        using var cmd = new NpgsqlCommand($"""
            INSERT INTO {Checkpoints.Schema}.sync_positions (sync_id, resume_token, cluster_time, applied) VALUES ($1, $2, $3, $4)
            ON CONFLICT (sync_id) DO UPDATE SET resume_token = EXCLUDED.resume_token, cluster_time = EXCLUDED.cluster_time,
              applied = sync_positions.applied + EXCLUDED.applied, updated_at = now()
            """, conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = syncId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = resumeToken });
        cmd.Parameters.Add(new NpgsqlParameter { Value = clusterTime });
        cmd.Parameters.Add(new NpgsqlParameter { Value = applied });
        cmd.ExecuteNonQuery();
    }
}
