using System.Buffers.Binary;
using System.Collections.Concurrent;
using EtlFast.Core.Engine;
using EtlFast.Core.Load;
using EtlFast.Core.Sources;
using Npgsql;

namespace EtlFast.Core.Verify;

/// <summary>The source side of the verification: chunks read once, encoded and checksummed by workers.</summary>
public sealed partial class Verifier
{
    /// <summary>A chunk and the positions in it of the documents the load rejected (null: none).</summary>
    private sealed record Work(Chunk Chunk, HashSet<int>? Skip);

    /// <summary>
    /// Reads the source once on this thread (which also offers every kept document to the sample)
    /// and has <see cref="LoadOptions.Jobs"/> workers, each with its own connection, encoder and
    /// temporary tables, checksum the rows of one chunk at a time.
    /// </summary>
    private (long[] Rows, decimal[] Sums) ExpectedChecksums(NpgsqlDataSource dataSource, (HashSet<long> Offsets, HashSet<string> Ids) rejected,
        Task actual, CancellationToken cancel)
    {
        int jobs = Math.Max(1, options.Jobs);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        using var queue = new BlockingCollection<Work>(jobs);
        using IChunkSource source = SourceFactory.Open(plan, options, cancel);
        Task<(long[], decimal[])>[] workers = [.. Enumerable.Range(0, jobs).Select(_ => Task.Run(() => Worker(dataSource, source.DisplayName, queue, stop), stop.Token))];
        long document = 0;
        try
        {
            while (!stop.IsCancellationRequested && source.Next(cancel) is { } chunk)
            {
                if (actual.IsFaulted)
                {
                    chunk.Release();
                    actual.GetAwaiter().GetResult(); // e.g. a table that does not exist: no need to read the rest of the source
                }
                Work work = Prepare(chunk, rejected, sample, ref document);
                try
                {
                    queue.Add(work, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    chunk.Release();
                    break; // a worker failed (reported below) or the user cancelled
                }
            }
        }
        finally
        {
            queue.CompleteAdding();
        }
        try
        {
            Task.WaitAll(workers);
        }
        catch (AggregateException e)
        {
            cancel.ThrowIfCancellationRequested();
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions.FirstOrDefault(x => x is not OperationCanceledException) ?? e.InnerExceptions[0]);
        }
        finally
        {
            foreach (Work left in queue)
            {
                left.Chunk.Release();
            }
        }
        cancel.ThrowIfCancellationRequested();
        var rows = new long[plan.Tables.Length];
        var sums = new decimal[plan.Tables.Length];
        foreach (Task<(long[] Rows, decimal[] Sums)> w in workers)
        {
            for (int t = 0; t < rows.Length; t++)
            {
                rows[t] += w.Result.Rows[t];
                sums[t] += w.Result.Sums[t];
            }
        }
        return (rows, sums);
    }

    private (long[], decimal[]) Worker(NpgsqlDataSource dataSource, string sourceName, BlockingCollection<Work> queue, CancellationTokenSource stop)
    {
        var rows = new long[plan.Tables.Length];
        var sums = new decimal[plan.Tables.Length];
        bool[] all = [.. plan.Tables.Select(_ => true)];
        try
        {
            using NpgsqlConnection conn = dataSource.OpenConnection();
            CreateTempTables(conn);
            using var encoder = new DocumentEncoder(plan);
            foreach (Work work in queue.GetConsumingEnumerable(stop.Token))
            {
                try
                {
                    using NpgsqlTransaction tx = conn.BeginTransaction();
                    CopyChunk(conn, encoder, sourceName, work, all);
                    foreach ((int t, long n, decimal sum) in ChunkChecksums(conn, tx, encoder))
                    {
                        rows[t] += n;
                        sums[t] += sum;
                    }
                    tx.Commit(); // ON COMMIT DELETE ROWS: the temporary tables are empty again
                }
                finally
                {
                    work.Chunk.Release();
                }
            }
        }
        catch
        {
            stop.Cancel();
            throw;
        }
        return (rows, sums);
    }

    /// <summary>Which documents of the chunk the load rejected; offers the others to <paramref name="offerTo"/>.</summary>
    private Work Prepare(Chunk chunk, (HashSet<long> Offsets, HashSet<string> Ids) rejected, SampleCheck? offerTo, ref long document)
    {
        bool live = MongoSource.IsMongoUri(options.From);
        bool anyRejected = rejected.Offsets.Count > 0 || rejected.Ids.Count > 0;
        HashSet<int>? skip = null;
        if (!anyRejected && offerTo is null)
        {
            return new Work(chunk, null);
        }
        for (int offset = 0; offset < chunk.Length;)
        {
            int length = BinaryPrimitives.ReadInt32LittleEndian(chunk.Span[offset..]);
            ReadOnlySpan<byte> bytes = chunk.Span.Slice(offset, length);
            if (anyRejected && (live ? rejected.Ids.Contains(DocumentEncoder.DescribeId(bytes)) : rejected.Offsets.Contains(chunk.SourceOffset + offset)))
            {
                (skip ??= []).Add(offset); // the load set it aside in its reject file
            }
            else
            {
                offerTo?.Offer(document++, bytes);
            }
            offset += length;
        }
        return new Work(chunk, skip);
    }

    /// <summary>Encodes the chunk's kept documents and COPYs the rows of the <paramref name="copy"/> tables into their temporary tables.</summary>
    private void CopyChunk(NpgsqlConnection conn, DocumentEncoder encoder, string sourceName, Work work, bool[] copy)
    {
        Chunk chunk = work.Chunk;
        encoder.BeginChunk(sourceName);
        for (int offset = 0; offset < chunk.Length;)
        {
            int length = BinaryPrimitives.ReadInt32LittleEndian(chunk.Span[offset..]);
            if (work.Skip is null || !work.Skip.Contains(offset))
            {
                encoder.Encode(chunk.Memory.Slice(offset, length), chunk.SourceOffset + offset); // a rejected document loads no rows
            }
            offset += length;
        }
        encoder.EndChunk();
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
    }

    /// <summary>
    /// A second, serial read of the source for <see cref="Diagnose"/>: per chunk, in one transaction,
    /// the rows of the <paramref name="copy"/> tables go to the temporary tables and
    /// <paramref name="inChunk"/> runs before the commit empties them again.
    /// </summary>
    private void EachChunk(NpgsqlConnection conn, (HashSet<long> Offsets, HashSet<string> Ids) rejected, bool[] copy,
        CancellationToken cancel, Action<DocumentEncoder, NpgsqlTransaction> inChunk)
    {
        using IChunkSource source = SourceFactory.Open(plan, options, cancel);
        using var encoder = new DocumentEncoder(plan);
        long document = 0;
        while (source.Next(cancel) is { } chunk)
        {
            try
            {
                Work work = Prepare(chunk, rejected, null, ref document);
                using NpgsqlTransaction tx = conn.BeginTransaction();
                CopyChunk(conn, encoder, source.DisplayName, work, copy);
                inChunk(encoder, tx);
                tx.Commit();
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
                parts.Add($"SELECT {t}, count(*), coalesce(sum({RowHash(plan.Tables[t])}), 0) FROM {TempName(t)}");
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
}
