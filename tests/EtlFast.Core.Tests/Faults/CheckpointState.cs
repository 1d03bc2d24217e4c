using EtlFast.Core.Tests.TestSupport;
using Npgsql;

namespace EtlFast.Core.Tests.Faults;

/// <summary>What etlfast.runs and etlfast.chunks say about the (single) load into one target schema.</summary>
internal sealed record CheckpointState(bool Exists, bool Finished, long Chunks, long Documents, long Rejected, long Rows, IReadOnlyList<long> ChunkIndexes)
{
    public static readonly CheckpointState None = new(false, false, 0, 0, 0, 0, []);

    public static CheckpointState Of(string schema)
    {
        using NpgsqlConnection conn = TestPg.Open();
        return Of(conn, schema);
    }

    public static CheckpointState Of(NpgsqlConnection conn, string schema)
    {
        if (TestPg.Scalar(conn, "SELECT to_regclass('etlfast.chunks')::text") is not string)
        {
            return None;
        }
        using var cmd = new NpgsqlCommand(
            """
            SELECT r.finished_at IS NOT NULL, count(c.chunk), coalesce(sum(c.documents), 0)::bigint, coalesce(sum(c.rejected), 0)::bigint,
                   coalesce(sum(c.rows), 0)::bigint, coalesce(array_agg(c.chunk ORDER BY c.chunk) FILTER (WHERE c.chunk IS NOT NULL), '{}')
            FROM etlfast.runs r LEFT JOIN etlfast.chunks c USING (run_id)
            WHERE r.target_schema = $1
            GROUP BY r.run_id, r.finished_at
            """, conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = schema });
        using NpgsqlDataReader r = cmd.ExecuteReader();
        if (!r.Read())
        {
            return None;
        }
        var state = new CheckpointState(true, r.GetBoolean(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetFieldValue<long[]>(5));
        Assert.False(r.Read(), $"the test expects one load into schema {schema}, but etlfast.runs holds several");
        return state;
    }
}
