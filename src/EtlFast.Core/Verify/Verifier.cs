using System.Buffers.Binary;
using System.Collections.Concurrent;
using EtlFast.Core.Engine;
using EtlFast.Core.Load;
using EtlFast.Core.Plan;
using EtlFast.Core.Sources;
using Npgsql;

namespace EtlFast.Core.Verify;

/// <summary>The verdict for one table.</summary>
public sealed record TableVerdict(string Table, long SourceRows, long TableRows, bool Match, IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected);

/// <summary>
/// Recomputes every row from the source with the same plan and encoder as a load and compares each
/// target table with its recomputed rows by row count and an order-independent checksum (the sum of a
/// 64-bit hash of each row). The recomputed rows are checksummed a chunk at a time, by as many workers
/// as a load has: each chunk's rows go to a worker's temporary tables, which empty at the chunk's
/// commit, so disk use is bounded by one chunk per worker, while another connection checksums the
/// target tables in one streaming scan each. For a table that
/// differs, a second pass shows a few rows missing from or unexpected in it (see Verifier.Diagnose.cs).
/// Documents the latest load of this source into this schema rejected (<c>--on-error reject</c>,
/// recorded in <c>etlfast.rejects</c>) are left out, as the load left them out: by byte offset for a
/// file, by <c>_id</c> for a live collection. With a <see cref="SampleCheck"/>, the same pass hands it
/// the documents it samples.
/// </summary>
public sealed partial class Verifier(LoadPlan plan, LoadOptions options, SampleCheck? sample = null)
{
    /// <summary>The offsets and ids of the documents rejected by the latest load of this source into this schema.</summary>
    private (HashSet<long> Offsets, HashSet<string> Ids) Rejected(NpgsqlConnection conn)
    {
        var offsets = new HashSet<long>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        string? identity = Checkpoints.SourceIdentity(options, plan.Mapping);
        if (identity is null)
        {
            return (offsets, ids);
        }
        using (var exists = new NpgsqlCommand("SELECT to_regclass($1) IS NOT NULL", conn))
        {
            exists.Parameters.Add(new NpgsqlParameter { Value = $"{Checkpoints.Schema}.rejects" });
            if (exists.ExecuteScalar() is not true)
            {
                return (offsets, ids);
            }
        }
        using var cmd = new NpgsqlCommand($"""
            SELECT r.source_offset, r.document_id FROM {Checkpoints.Schema}.rejects r
            WHERE r.run_id = (SELECT run_id FROM {Checkpoints.Schema}.runs WHERE source = $1 AND target_schema = $2 ORDER BY started_at DESC LIMIT 1)
            """, conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = identity });
        cmd.Parameters.Add(new NpgsqlParameter { Value = plan.Schema });
        using NpgsqlDataReader r = cmd.ExecuteReader();
        while (r.Read())
        {
            offsets.Add(r.GetInt64(0));
            ids.Add(r.GetString(1));
        }
        return (offsets, ids);
    }

    /// <summary><c>ROW("a", "b")</c>: the row whose text both sides hash.</summary>
    private static string RowExpression(TablePlan table) => "ROW(" + string.Join(", ", table.Columns.Select(c => Sql.Quote(c.Name))) + ")";

    /// <summary>
    /// The 64-bit hash of a row that the checksums add up. PostgreSQL 14+ hashes the row's values with
    /// each type's own hash function (json, which has none, as text), which costs far less than
    /// printing the row as text first; older servers hash the row's text.
    /// </summary>
    private string RowHash(TablePlan table) => _recordHash
        ? "hash_record_extended(ROW(" + string.Join(", ", table.Columns.Select(c => Sql.Quote(c.Name) + (c.Type == Mapping.PgType.Json ? "::text" : ""))) + "), 0)"
        : $"hashtextextended({RowExpression(table)}::text, 0)";

    private bool _recordHash;

    private static string TempName(int t) => Sql.Quote($"etlfast_verify_{t}");

    private void CreateTempTables(NpgsqlConnection conn)
    {
        for (int t = 0; t < plan.Tables.Length; t++)
        {
            string columns = string.Join(", ", plan.Tables[t].Columns.Select(c => $"{Sql.Quote(c.Name)} {c.SqlType}"));
            SchemaBuilder.Execute(conn, $"CREATE TEMP TABLE {TempName(t)} ({columns}) ON COMMIT DELETE ROWS");
        }
    }

    public IReadOnlyList<TableVerdict> Run(CancellationToken cancel)
    {
        using NpgsqlDataSource dataSource = new NpgsqlSlimDataSourceBuilder(options.Target.ConnectionString).Build();
        using NpgsqlConnection conn = dataSource.OpenConnection();
        _recordHash = conn.PostgreSqlVersion.Major >= 14;
        CreateTempTables(conn);
        (HashSet<long> Offsets, HashSet<string> Ids) rejected = Rejected(conn);

        // The target side needs nothing from the source: it runs on its own connection meanwhile.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        Task<(long Rows, decimal Sum)[]> actual = Task.Run(() => TableChecksums(dataSource, stop.Token), stop.Token);
        (long[] Rows, decimal[] Sums) expected;
        (long Rows, decimal Sum)[] tables;
        try
        {
            expected = ExpectedChecksums(dataSource, rejected, actual, cancel);
            tables = actual.GetAwaiter().GetResult();
        }
        finally
        {
            if (!actual.IsCompleted)
            {
                stop.Cancel();
                try
                {
                    actual.Wait(TimeSpan.FromSeconds(30));
                }
                catch (AggregateException)
                {
                    // the failure that stopped the pass is the one to report
                }
            }
        }

        var verdicts = new TableVerdict[plan.Tables.Length];
        var differing = new List<int>();
        for (int t = 0; t < plan.Tables.Length; t++)
        {
            bool match = expected.Rows[t] == tables[t].Rows && expected.Sums[t] == tables[t].Sum;
            verdicts[t] = new TableVerdict(plan.Tables[t].Name, expected.Rows[t], tables[t].Rows, match, [], []);
            if (!match)
            {
                differing.Add(t);
            }
        }
        if (differing.Count > 0)
        {
            Diagnose(conn, rejected, differing, verdicts, cancel);
        }
        sample?.Compare(conn, cancel);
        return verdicts;
    }

    /// <summary>Row count and checksum of every target table: one streaming aggregate each, nothing written.</summary>
    private (long Rows, decimal Sum)[] TableChecksums(NpgsqlDataSource dataSource, CancellationToken cancel)
    {
        using NpgsqlConnection conn = dataSource.OpenConnection();
        var result = new (long, decimal)[plan.Tables.Length];
        for (int t = 0; t < plan.Tables.Length; t++)
        {
            TablePlan table = plan.Tables[t];
            using var cmd = new NpgsqlCommand($"SELECT count(*), coalesce(sum({RowHash(table)}), 0) FROM {table.QualifiedName}", conn);
            using NpgsqlDataReader r = cmd.ExecuteReaderAsync(cancel).GetAwaiter().GetResult();
            r.Read();
            result[t] = (r.GetInt64(0), r.GetDecimal(1));
        }
        return result;
    }
}
