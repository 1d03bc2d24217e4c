using System.Buffers.Binary;
using System.Diagnostics;
using System.Threading.Channels;
using EtlFast.Bson;
using EtlFast.Core.Engine;
using EtlFast.Core.Sources;
using EtlFast.PgCopy;
using Npgsql;

namespace EtlFast.Core.Load;

public sealed partial class Loader
{
    /// <summary>One job: its connection, its encoder, its counters.</summary>
    private sealed class Worker(Loader loader, string sourceName) : IDisposable
    {
        private readonly DocumentEncoder _encoder = new(loader._plan);
        public long Documents;
        public long Rejected;
        public long Chunks;
        public readonly long[] Rows = new long[loader._plan.Tables.Length];
        public readonly long[] Bytes = new long[loader._plan.Tables.Length];
        public readonly double[] CopySeconds = new double[loader._plan.Tables.Length];
        private readonly long[] _rowsBefore = new long[loader._plan.Tables.Length];
        private readonly long[] _chunkRows = new long[loader._plan.Tables.Length];

        private bool RejectMode => loader._options.OnError == ErrorAction.Reject;

        private NpgsqlConnection? _conn;

        /// <summary>The backend of a connection that stalled: still in the chunk's transaction, holding its locks, until ended.</summary>
        private int? _stuckBackend;

        /// <summary>The backend process id of <see cref="_conn"/> (a broken connection no longer tells it).</summary>
        private int _backend;

        /// <summary>A new connection for chunks; first ends the backend of the one that stalled, if any.</summary>
        private NpgsqlConnection Connect()
        {
            NpgsqlConnection conn = loader.OpenForChunks();
            _backend = conn.ProcessID;
            EndStuckBackend(conn);
            return conn;
        }

        public void Run(ChannelReader<Chunk> chunks)
        {
            _conn = loader._options.NullSink ? null : Connect();
            CancellationToken stop = loader._stop.Token;
            while (chunks.WaitToReadAsync(stop).AsTask().GetAwaiter().GetResult())
            {
                while (chunks.TryRead(out Chunk? chunk))
                {
                    try
                    {
                        ProcessWithRetry(chunk, stop);
                    }
                    finally
                    {
                        chunk.Release();
                    }
                    stop.ThrowIfCancellationRequested();
                }
            }
        }

        /// <summary>
        /// A chunk whose transaction failed for a reason of the server or the network (not of the data)
        /// was rolled back whole, so it is safe to run again on a new connection, after a bounded backoff.
        /// A connection that stalled (no byte moved for --io-timeout) gets one new connection: a second
        /// stall means the host, not the connection, is stuck, and waiting more would only hide it.
        /// </summary>
        private void ProcessWithRetry(Chunk chunk, CancellationToken stop)
        {
            int stalls = 0;
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    Process(_conn, chunk);
                    return;
                }
                catch (Exception e) when (!stop.IsCancellationRequested && PgFaults.Classify(e) is PgFault.Transient or PgFault.Stalled)
                {
                    bool stalled = PgFaults.Classify(e) == PgFault.Stalled;
                    if (stalled && ++stalls >= MaxStalls)
                    {
                        throw Stuck(chunk, e, stalls);
                    }
                    if (attempt >= PgRetry.MaxAttempts)
                    {
                        throw;
                    }
                    TimeSpan wait = PgRetry.Backoff(attempt);
                    string why = stalled ? $"no answer for {IoSeconds} s (--io-timeout)" : Innermost(e).Message.ReplaceLineEndings(" ");
                    if (stalled && _conn is not null)
                    {
                        _stuckBackend = _backend;
                    }
                    loader._observer.Phase($"chunk {chunk.Index} (byte offset {chunk.SourceOffset}) failed: {why}; retrying in {wait.TotalSeconds:N1} s ({attempt}/{PgRetry.MaxAttempts - 1})");
                    _conn?.Dispose();
                    _conn = null;
                    PgRetry.Wait(attempt, stop); // the next attempt opens a new connection: a failure to is judged as any other
                }
                catch (Exception e) when (e is not LoadException && PgFaults.Classify(e) == PgFault.DiskFull)
                {
                    throw DiskFull(chunk, (PostgresException)e, table: null);
                }
            }
        }

        /// <summary>
        /// Ends the backend of the connection that stalled, from the new one. Over a half-open connection the
        /// server would notice its client gone only at its TCP keepalive (hours by default), and until then the
        /// backend's locks would hold back the key builds. Only a backend of this load's own user and
        /// application name is ended.
        /// </summary>
        private void EndStuckBackend(NpgsqlConnection conn)
        {
            if (_stuckBackend is not int pid)
            {
                return;
            }
            using var end = new NpgsqlCommand("""
                SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                WHERE pid = $1 AND usename = current_user AND application_name = current_setting('application_name')
                """, conn);
            end.Parameters.Add(new NpgsqlParameter { Value = pid });
            end.ExecuteNonQuery();
            _stuckBackend = null;
        }

        /// <summary>Connections a chunk may stall on before the load stops (see <see cref="ProcessWithRetry"/>).</summary>
        private const int MaxStalls = 2;

        private long IoSeconds => (long)Math.Ceiling(loader._options.IoTimeout.TotalSeconds);

        private static Exception Innermost(Exception e) => e is LoadException { InnerException: { } inner } ? inner : e;

        private LoadException Stuck(Chunk chunk, Exception e, int connections)
        {
            Exception inner = Innermost(e);
            string cause = inner.InnerException is { } why ? $"{inner.Message} ({why.Message})" : inner.Message;
            return new LoadException(FailureKind.Connection,
                $"PostgreSQL at {loader._options.Target.Display} did not answer for {IoSeconds} s (--io-timeout) while committing the chunk at byte offsets {chunk.SourceOffset}..{chunk.SourceOffset + chunk.Length} of {sourceName}",
                $"the same on {connections} connections; the last: {loader.Redact(cause)}",
                "the chunk was rolled back and committed chunks stay: check the network and the server, then run the same command with --resume (raise --io-timeout if the server is only slow)", e);
        }

        private LoadException DiskFull(Chunk chunk, PostgresException e, string? table) => new(FailureKind.Data,
            $"PostgreSQL at {loader._options.Target.Display} is out of disk space{(table is null ? "" : $" for table \"{table}\"")} (the chunk at byte offsets {chunk.SourceOffset}..{chunk.SourceOffset + chunk.Length} of {sourceName}): {e.MessageText}",
            $"SQLSTATE {e.SqlState}",
            "the chunk was rolled back and committed chunks stay: free space on the server (the tables' tablespace, or its data directory), then run the same command with --resume", e);

        private void Process(NpgsqlConnection? conn, Chunk chunk)
        {
            _pendingRejects.Clear();
            Rows.CopyTo(_rowsBefore, 0);
            if (conn is null && !loader._options.NullSink)
            {
                _conn = conn = Connect();
            }
            _encoder.BeginChunk(sourceName);
            int documents = 0;
            int rejected = 0;
            for (int offset = 0; offset < chunk.Length;)
            {
                int length = BinaryPrimitives.ReadInt32LittleEndian(chunk.Span[offset..]);
                if (!EncodeOne(chunk, offset, length))
                {
                    rejected++;
                }
                documents++;
                offset += length;
            }
            _encoder.EndChunk();

            if (conn is null)
            {
                Count(null);
            }
            else
            {
                try
                {
                    Commit(conn, chunk, documents, rejected);
                }
                catch (LoadException e) when (e.InnerException is PostgresException { SqlState: not null } pg && IsRowProblem(pg))
                {
                    // Some document's rows broke a constraint: find it by loading the chunk one document at a
                    // time; in reject mode it is rejected and the rest commit, otherwise the load stops naming it.
                    rejected = CommitDocumentByDocument(conn, chunk, out documents);
                }
            }
            Documents += documents;
            Rejected += rejected;
            Chunks++;
            // What this chunk added, whichever path committed it (whole, or document by document).
            long rows = 0;
            for (int t = 0; t < Rows.Length; t++)
            {
                _chunkRows[t] = Rows[t] - _rowsBefore[t];
                rows += _chunkRows[t];
            }
            loader._observer.ChunkCommitted(documents, rows, chunk.Length, _chunkRows);
            FlushRejects(); // after the counts: the chunk is committed even if its rejects cannot be written out
        }

        /// <summary>Encodes one document; in reject mode a document that cannot be converted is rejected instead of stopping the load.</summary>
        /// <param name="record">False when the document was seen before (the slow path re-encodes a chunk) and already recorded.</param>
        private bool EncodeOne(Chunk chunk, int offset, int length, bool record = true)
        {
            ReadOnlyMemory<byte> doc = chunk.Memory.Slice(offset, length);
            long at = chunk.SourceOffset + offset;
            string reason;
            try
            {
                if (_encoder.Encode(doc, at))
                {
                    return true;
                }
                reason = _encoder.LastReject!;
            }
            catch (DataException e) when (RejectMode)
            {
                reason = e.Message;
            }
            if (record)
            {
                Reject(doc.Span, at, reason);
            }
            return false;
        }

        /// <summary>Rejects of the chunk in hand: written to the reject file only once the chunk commits, so a
        /// chunk rolled back (killed, retried, resumed) never leaves its rejects in the file twice.</summary>
        private readonly List<(byte[] Document, string Id, long Offset, string Reason)> _pendingRejects = [];

        private void Reject(ReadOnlySpan<byte> document, long offset, string reason)
        {
            _pendingRejects.Add((document.ToArray(), DocumentEncoder.DescribeId(document), offset, reason));
            long count = loader._rejects.Count + _pendingRejects.Count;
            if (count > loader._options.MaxRejects)
            {
                // The chunk in hand rolls back: its rejects stay out of the reject file, which holds only
                // documents of committed chunks; the message names the one that went over the limit.
                throw new LoadException(FailureKind.Data, $"more than {loader._options.MaxRejects:N0} documents were rejected; stopping",
                    $"the document over the limit: _id {DocumentEncoder.DescribeId(document)} at byte offset {offset}: {reason}",
                    $"its chunk was rolled back; the rejects of committed chunks are in {loader._rejects.BsonPath} and its .log; raise --max-rejects to accept more, then re-run with --resume");
            }
        }

        /// <summary>Appends the chunk's rejects to the files. A full or unwritable --reject-dir stops the load (never retried:
        /// the chunk is committed), and the checkpoints' copy of the rejects lets --resume write the files whole.</summary>
        private void FlushRejects()
        {
            try
            {
                foreach ((byte[] document, string id, long offset, string reason) in _pendingRejects)
                {
                    loader._rejects.Write(document, id, offset, reason);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new LoadException(FailureKind.Data, $"could not write the reject file {loader._rejects.BsonPath}: {e.Message}",
                    loader.RunId is null
                        ? "the rejected documents of the chunk in hand are not in the reject file"
                        : "every committed chunk's rejected documents are also recorded with its checkpoint (table etlfast.rejects): none is lost",
                    "free space in --reject-dir (or name another), then run the same command with --resume: the reject files are rewritten from the checkpoints", e);
            }
            _pendingRejects.Clear();
        }

        private void Commit(NpgsqlConnection conn, Chunk chunk, int documents, int rejected)
        {
            IReadOnlyList<CopyBuffer> buffers = _encoder.Buffers;
            var copied = new double[buffers.Count];
            using (NpgsqlTransaction tx = conn.BeginTransaction())
            {
                for (int t = 0; t < buffers.Count; t++)
                {
                    long start = Stopwatch.GetTimestamp();
                    Copy(conn, chunk, t, buffers[t]);
                    copied[t] = Stopwatch.GetElapsedTime(start).TotalSeconds;
                }
                if (loader.RunId is not null)
                {
                    Checkpoints.Record(conn, loader.RunId, chunk.Index, chunk.SourceOffset, documents, rejected, buffers.Sum(b => (long)b.Rows), chunk.LastId);
                    Checkpoints.RecordRejects(conn, loader.RunId, chunk.Index, _pendingRejects);
                }
                CommitInOrder(tx, chunk);
            }
            for (int t = 0; t < buffers.Count; t++)
            {
                CopySeconds[t] += copied[t];
            }
            Count(buffers);
        }

        /// <summary>Commits the chunk's transaction; a live range's chunks commit in their order (<see cref="CommitOrder"/>).</summary>
        private void CommitInOrder(NpgsqlTransaction tx, Chunk chunk)
        {
            loader._commitOrder?.WaitTurn(chunk.Index, loader._stop.Token);
            tx.Commit();
            loader._commitOrder?.Committed(chunk.Index);
        }

        private void Count(IReadOnlyList<CopyBuffer>? buffers)
        {
            buffers ??= _encoder.Buffers;
            for (int t = 0; t < buffers.Count; t++)
            {
                Rows[t] += buffers[t].Rows;
                Bytes[t] += buffers[t].Length;
            }
        }

        private void Copy(NpgsqlConnection conn, Chunk chunk, int table, CopyBuffer buffer)
        {
            if (buffer.Rows == 0)
            {
                return;
            }
            try
            {
                using NpgsqlRawCopyStream copy = conn.BeginRawBinaryCopy(loader._plan.Tables[table].CopySql);
                copy.Write(buffer.WrittenSpan);
            }
            catch (PostgresException e) when (PgFaults.Classify(e) == PgFault.DiskFull)
            {
                throw DiskFull(chunk, e, loader._plan.Tables[table].Name);
            }
            catch (PostgresException e)
            {
                throw new LoadException(FailureKind.Data,
                    $"PostgreSQL refused the rows of table \"{loader._plan.Tables[table].Name}\" from the chunk at byte offsets {chunk.SourceOffset}..{chunk.SourceOffset + chunk.Length} of {sourceName}: {e.MessageText}",
                    e.Detail, e.Hint ?? "the chunk was rolled back and committed chunks stay; fix the data or the mapping, then re-run with --resume", e);
            }
        }

        /// <summary>Constraint and data errors that one document's rows can cause (class 22 and 23), as opposed to a server fault.</summary>
        private static bool IsRowProblem(PostgresException e) => e.SqlState.StartsWith("22", StringComparison.Ordinal) || e.SqlState.StartsWith("23", StringComparison.Ordinal);

        /// <summary>
        /// The slow path for a chunk that PostgreSQL refused in reject mode: each document in its own
        /// savepoint, so the one that breaks a constraint is rejected and the others commit. Returns rejects.
        /// </summary>
        private int CommitDocumentByDocument(NpgsqlConnection conn, Chunk chunk, out int documents)
        {
            int rejected = 0;
            documents = 0;
            var totals = new long[Rows.Length];
            var bytes = new long[Rows.Length];
            using NpgsqlTransaction tx = conn.BeginTransaction();
            for (int offset = 0; offset < chunk.Length;)
            {
                int length = BinaryPrimitives.ReadInt32LittleEndian(chunk.Span[offset..]);
                documents++;
                _encoder.BeginChunk(sourceName);
                bool encoded = EncodeOne(chunk, offset, length, record: false);
                _encoder.EndChunk();
                if (!encoded)
                {
                    rejected++;
                    offset += length;
                    continue;
                }
                tx.Save("doc");
                try
                {
                    for (int t = 0; t < _encoder.Buffers.Count; t++)
                    {
                        Copy(conn, chunk, t, _encoder.Buffers[t]);
                    }
                    tx.Release("doc");
                    for (int t = 0; t < _encoder.Buffers.Count; t++)
                    {
                        totals[t] += _encoder.Buffers[t].Rows;
                        bytes[t] += _encoder.Buffers[t].Length;
                    }
                }
                catch (LoadException e) when (e.InnerException is PostgresException pg && IsRowProblem(pg))
                {
                    if (!RejectMode)
                    {
                        ReadOnlySpan<byte> bad = chunk.Span.Slice(offset, length);
                        throw new LoadException(FailureKind.Data,
                            $"document _id {DocumentEncoder.DescribeId(bad)} at byte offset {chunk.SourceOffset + offset} of {sourceName} (in the chunk at byte offsets {chunk.SourceOffset}..{chunk.SourceOffset + chunk.Length}): table \"{pg.TableName}\": {pg.MessageText}",
                            pg.Detail, "its chunk was rolled back and committed chunks stay; fix the data (or use --on-error reject), then re-run with --resume", pg);
                    }
                    tx.Rollback("doc");
                    rejected++;
                    Reject(chunk.Span.Slice(offset, length), chunk.SourceOffset + offset,
                        $"table \"{pg.TableName}\"{(pg.ColumnName is null ? "" : $", column \"{pg.ColumnName}\"")}: {pg.MessageText}{(pg.Detail is null ? "" : " (" + pg.Detail + ")")}");
                }
                offset += length;
            }
            if (loader.RunId is not null)
            {
                Checkpoints.Record(conn, loader.RunId, chunk.Index, chunk.SourceOffset, documents, rejected, totals.Sum(), chunk.LastId);
                Checkpoints.RecordRejects(conn, loader.RunId, chunk.Index, _pendingRejects);
            }
            CommitInOrder(tx, chunk);
            for (int t = 0; t < totals.Length; t++)
            {
                Rows[t] += totals[t];
                Bytes[t] += bytes[t];
            }
            return rejected;
        }

        public void Dispose()
        {
            _encoder.Dispose();
            _conn?.Dispose();
        }
    }
}
