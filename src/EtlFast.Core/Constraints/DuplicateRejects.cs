using EtlFast.Core.Engine;
using EtlFast.Core.Load;
using EtlFast.Core.Mapping;
using EtlFast.Core.Plan;
using EtlFast.PgCopy;
using Npgsql;

namespace EtlFast.Core.Constraints;

/// <summary>
/// Takes documents that repeat a key out of a loaded run, in one transaction: their rows, re-encoded
/// by the same encoder, are removed from every table, and they are recorded in etlfast.rejects (and
/// their chunks' counts corrected), so a kill leaves either none of it or all of it.
/// </summary>
internal static class DuplicateRejects
{
    public static void Commit(NpgsqlConnection conn, LoadPlan plan, string runId, IReadOnlyList<DuplicateReject> rejects, string sourceName)
    {
        using var encoder = new DocumentEncoder(plan, 64 * 1024);
        encoder.BeginChunk(sourceName);
        var rows = new long[rejects.Count];
        for (int i = 0; i < rejects.Count; i++)
        {
            long before = encoder.Buffers.Sum(b => (long)b.Rows);
            if (!encoder.Encode(rejects[i].Document, rejects[i].Offset))
            {
                throw new InvalidOperationException($"document _id {rejects[i].Id} encoded once but not twice");
            }
            rows[i] = encoder.Buffers.Sum(b => (long)b.Rows) - before;
        }
        encoder.EndChunk();

        using NpgsqlTransaction tx = conn.BeginTransaction();
        for (int t = 0; t < plan.Tables.Length; t++)
        {
            if (encoder.Buffers[t].Rows > 0)
            {
                RemoveRows(conn, plan.Tables[t], encoder.Buffers[t]);
            }
        }
        foreach (var chunk in Enumerable.Range(0, rejects.Count).GroupBy(i => rejects[i].Chunk))
        {
            Checkpoints.RecordRejects(conn, runId, chunk.Key, [.. chunk.Select(i => (rejects[i].Document, rejects[i].Id, rejects[i].Offset, rejects[i].Reason))]);
            using var cmd = new NpgsqlCommand($"UPDATE {Checkpoints.Schema}.chunks SET rejected = rejected + $3, rows = rows - $4 WHERE run_id = $1 AND chunk = $2", conn);
            cmd.Parameters.Add(new NpgsqlParameter { Value = runId });
            cmd.Parameters.Add(new NpgsqlParameter { Value = chunk.Key });
            cmd.Parameters.Add(new NpgsqlParameter { Value = chunk.Count() });
            cmd.Parameters.Add(new NpgsqlParameter { Value = chunk.Sum(i => rows[i]) });
            cmd.ExecuteNonQuery();
        }
        tx.Commit();
    }

    /// <summary>
    /// Deletes one row of the table for each of these rows, equal in every column. Where the documents
    /// that share a key yield identical rows, which of them goes makes no difference; so the table ends
    /// as a load without the rejected documents would have left it.
    /// </summary>
    private static void RemoveRows(NpgsqlConnection conn, TablePlan table, CopyBuffer buffer)
    {
        string stage = Sql.Quote($"etlfast_duplicate_rejects_{table.Index}");
        string columns = string.Join(", ", table.Columns.Select(c => Sql.Quote(c.Name)));
        SchemaBuilder.Execute(conn, $"CREATE TEMP TABLE {stage} (LIKE {table.QualifiedName}) ON COMMIT DROP");
        using (NpgsqlRawCopyStream copy = conn.BeginRawBinaryCopy($"COPY {stage} ({columns}) FROM STDIN (FORMAT BINARY)"))
        {
            copy.Write(buffer.WrittenSpan);
        }
        // json has no equality operator: compared as text. Equal rows are numbered so that n staged copies delete n rows.
        string Value(ColumnPlan c, string alias) => $"{alias}{Sql.Quote(c.Name)}{(c.Type == PgType.Json ? "::text" : "")}";
        string values = string.Join(", ", table.Columns.Select(c => Value(c, "")));
        string names = string.Join(", ", table.Columns.Select((_, i) => $"c{i}"));
        string groups = string.Join(", ", table.Columns.Select((_, i) => i + 3));
        string equal = string.Join(" AND ", table.Columns.Select((c, i) => $"{Value(c, "x.")} {(c.Nullable ? "IS NOT DISTINCT FROM" : "=")} s.c{i}"));
        string sql = $"""
            DELETE FROM {table.QualifiedName} WHERE ctid IN (
              SELECT m.ctid FROM (
                SELECT x.ctid, s.n, row_number() OVER (PARTITION BY s.gid) AS r
                FROM {table.QualifiedName} AS x
                JOIN (SELECT row_number() OVER (), count(*), {values} FROM {stage} GROUP BY {groups}) AS s (gid, n, {names}) ON {equal}) AS m
              WHERE m.r <= m.n)
            """;
        using var delete = new NpgsqlCommand(sql, conn);
        int deleted = delete.ExecuteNonQuery();
        if (deleted != buffer.Rows)
        {
            throw new LoadException(FailureKind.Data,
                $"could not take the documents that repeat a key out of table \"{table.Name}\": read again, they yield {buffer.Rows:N0} rows of it, and the table holds {deleted:N0} of those",
                "the table no longer matches its source; nothing was changed",
                "load the source again with --mode clean");
        }
    }
}
