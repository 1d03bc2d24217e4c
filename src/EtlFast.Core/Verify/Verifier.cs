using System.Buffers.Binary;
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
/// 64-bit hash of each row's text). The recomputed rows are checksummed a chunk at a time: each chunk's
/// rows go to temporary tables that empty at the chunk's commit, so disk use is bounded by one chunk,
/// while a second connection checksums the target tables in one streaming scan each. For a table that
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
        string? identity = Checkpoints.SourceIdentity(options.From, options.Query);
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

    private static string TempName(int t) => Sql.Quote($"etlfast_verify_{t}");

    public IReadOnlyList<TableVerdict> Run(CancellationToken cancel)
    {
        using NpgsqlDataSource dataSource = new NpgsqlSlimDataSourceBuilder(options.Target.ConnectionString).Build();
        using NpgsqlConnection conn = dataSource.OpenConnection();
        for (int t = 0; t < plan.Tables.Length; t++)
        {
            string columns = string.Join(", ", plan.Tables[t].Columns.Select(c => $"{Sql.Quote(c.Name)} {c.SqlType}"));
            SchemaBuilder.Execute(conn, $"CREATE TEMP TABLE {TempName(t)} ({columns}) ON COMMIT DELETE ROWS");
        }
        (HashSet<long> Offsets, HashSet<string> Ids) rejected = Rejected(conn);

        // The target side needs nothing from the source: it runs on its own connection meanwhile.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        Task<(long Rows, decimal Sum)[]> actual = Task.Run(() => TableChecksums(dataSource, stop.Token), stop.Token);
        var expectedRows = new long[plan.Tables.Length];
        var expectedSums = new decimal[plan.Tables.Length];
        (long Rows, decimal Sum)[] tables;
        try
        {
            bool[] all = [.. plan.Tables.Select(_ => true)];
            EachChunk(conn, rejected, all, sample, cancel, (encoder, tx) =>
            {
                if (actual.IsFaulted)
                {
                    actual.GetAwaiter().GetResult(); // e.g. a table that does not exist: no need to read the rest of the source
                }
                foreach ((int t, long rows, decimal sum) in ChunkChecksums(conn, tx, encoder))
                {
                    expectedRows[t] += rows;
                    expectedSums[t] += sum;
                }
            });
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
            bool match = expectedRows[t] == tables[t].Rows && expectedSums[t] == tables[t].Sum;
            verdicts[t] = new TableVerdict(plan.Tables[t].Name, expectedRows[t], tables[t].Rows, match, [], []);
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

    /// <summary>
    /// Reads the source once, encoding every document a load would keep, and per chunk, in one
    /// transaction, COPYs the rows of the <paramref name="copy"/> tables into their temporary tables
    /// and calls <paramref name="inChunk"/> before the commit empties them again. Every document kept
    /// is offered to <paramref name="offerTo"/>.
    /// </summary>
    private void EachChunk(NpgsqlConnection conn, (HashSet<long> Offsets, HashSet<string> Ids) rejected, bool[] copy,
        SampleCheck? offerTo, CancellationToken cancel, Action<DocumentEncoder, NpgsqlTransaction> inChunk)
    {
        bool live = MongoSource.IsMongoUri(options.From);
        bool anyRejected = rejected.Offsets.Count > 0 || rejected.Ids.Count > 0;
        using IChunkSource source = SourceFactory.Open(plan, options, cancel);
        using var encoder = new DocumentEncoder(plan);
        long document = 0;
        while (source.Next(cancel) is { } chunk)
        {
            try
            {
                encoder.BeginChunk(source.DisplayName);
                for (int offset = 0; offset < chunk.Length;)
                {
                    int length = BinaryPrimitives.ReadInt32LittleEndian(chunk.Span[offset..]);
                    ReadOnlyMemory<byte> bytes = chunk.Memory.Slice(offset, length);
                    long sourceOffset = chunk.SourceOffset + offset;
                    offset += length;
                    if (anyRejected && (live
                            ? rejected.Ids.Contains(DocumentEncoder.DescribeId(bytes.Span))
                            : rejected.Offsets.Contains(sourceOffset)))
                    {
                        continue; // the load set it aside in its reject file
                    }
                    encoder.Encode(bytes, sourceOffset); // a rejected document loads no rows
                    offerTo?.Offer(document++, bytes.Span);
                }
                encoder.EndChunk();
                using NpgsqlTransaction tx = conn.BeginTransaction();
                for (int t = 0; t < plan.Tables.Length; t++)
                {
                    if (!copy[t] || encoder.Buffers[t].Rows == 0)
                    {
                        continue;
                    }
                    string columns = string.Join(", ", plan.Tables[t].Columns.Select(c => Sql.Quote(c.Name)));
                    using NpgsqlRawCopyStream stream = conn.BeginRawBinaryCopy($"COPY {TempName(t)} ({columns}) FROM STDIN (FORMAT BINARY)");
                    stream.Write(encoder.Buffers[t].WrittenSpan);
                }
                inChunk(encoder, tx);
                tx.Commit(); // ON COMMIT DELETE ROWS: the temporary tables are empty again
            }
            finally
            {
                chunk.Release();
            }
            cancel.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Row count and checksum of each table's rows in this chunk, in one round trip.</summary>
    private List<(int Table, long Rows, decimal Sum)> ChunkChecksums(NpgsqlConnection conn, NpgsqlTransaction tx, DocumentEncoder encoder)
    {
        var parts = new List<string>();
        for (int t = 0; t < plan.Tables.Length; t++)
        {
            if (encoder.Buffers[t].Rows > 0)
            {
                parts.Add($"SELECT {t}, count(*), coalesce(sum(hashtextextended({RowExpression(plan.Tables[t])}::text, 0)), 0) FROM {TempName(t)}");
            }
        }
        var sums = new List<(int, long, decimal)>();
        if (parts.Count == 0)
        {
            return sums;
        }
        using var cmd = new NpgsqlCommand(string.Join("\nUNION ALL ", parts), conn, tx);
        using NpgsqlDataReader r = cmd.ExecuteReader();
        while (r.Read())
        {
            sums.Add((r.GetInt32(0), r.GetInt64(1), r.GetDecimal(2)));
        }
        return sums;
    }

    /// <summary>Row count and checksum of every target table: one streaming aggregate each, nothing written.</summary>
    private (long Rows, decimal Sum)[] TableChecksums(NpgsqlDataSource dataSource, CancellationToken cancel)
    {
        using NpgsqlConnection conn = dataSource.OpenConnection();
        var result = new (long, decimal)[plan.Tables.Length];
        for (int t = 0; t < plan.Tables.Length; t++)
        {
            TablePlan table = plan.Tables[t];
            using var cmd = new NpgsqlCommand($"SELECT count(*), coalesce(sum(hashtextextended({RowExpression(table)}::text, 0)), 0) FROM {table.QualifiedName}", conn);
            using NpgsqlDataReader r = cmd.ExecuteReaderAsync(cancel).GetAwaiter().GetResult();
            r.Read();
            result[t] = (r.GetInt64(0), r.GetDecimal(1));
        }
        return result;
    }
}
