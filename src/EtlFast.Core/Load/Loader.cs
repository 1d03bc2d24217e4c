using System.Diagnostics;
using System.Net.Sockets;
using System.Threading.Channels;
using EtlFast.Bson;
using EtlFast.Core.Engine;
using EtlFast.Core.Plan;
using EtlFast.Core.Sources;
using EtlFast.PgCopy;
using Npgsql;

namespace EtlFast.Core.Load;

/// <summary>
/// Runs a load: one thread cuts the source into chunks; one worker per job encodes each chunk's rows
/// into per-table COPY buffers and commits the chunk in one transaction on its own connection; then
/// keys, foreign keys and indexes are built in parallel.
/// </summary>
public sealed class Loader
{
    private readonly LoadPlan _plan;
    private readonly LoadOptions _options;
    private readonly ILoadObserver _observer;
    private readonly NpgsqlDataSource _dataSource;
    private readonly CancellationTokenSource _stop;
    private Exception? _failure;

    public Loader(LoadPlan plan, LoadOptions options, ILoadObserver observer, CancellationToken cancel)
    {
        _plan = plan;
        _options = options;
        _observer = observer;
        _dataSource = new NpgsqlSlimDataSourceBuilder(options.Target.ConnectionString).Build();
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
    }

    public LoadSummary Run()
    {
        var clock = Stopwatch.StartNew();
        TimeSpan cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        long allocStart = GC.GetTotalAllocatedBytes(precise: false);
        int g0 = GC.CollectionCount(0), g1 = GC.CollectionCount(1), g2 = GC.CollectionCount(2);

        var summary = new LoadSummary { Tables = [.. _plan.Tables.Select(t => new TableSummary { Name = t.Name })] };
        using (NpgsqlConnection control = Open())
        {
            if (_options.NullSink)
            {
                _observer.Phase("null sink: nothing will be written to PostgreSQL");
            }
            else
            {
            _observer.Phase("preparing tables");
            Run(() => SchemaBuilder.Prepare(control, _plan, _options.Mode, _options.Constraints), "preparing the tables");
            }
        }

        using IChunkSource source = OpenSource();
        _observer.Phase($"loading {source.DisplayName}");
        var chunks = Channel.CreateBounded<Chunk>(new BoundedChannelOptions(Math.Max(1, _options.Jobs))
        {
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var workers = new Worker[_options.Jobs];
        var threads = new Thread[_options.Jobs];
        for (int i = 0; i < workers.Length; i++)
        {
            workers[i] = new Worker(this, source.DisplayName);
            Worker w = workers[i];
            threads[i] = new Thread(() => Guard(() => w.Run(chunks.Reader))) { Name = $"etlfast-worker-{i}", IsBackground = true };
            threads[i].Start();
        }
        Guard(() =>
        {
            while (!_stop.IsCancellationRequested && source.Next(_stop.Token) is { } chunk)
            {
                if (!chunks.Writer.TryWrite(chunk))
                {
                    chunks.Writer.WriteAsync(chunk, _stop.Token).AsTask().GetAwaiter().GetResult();
                }
            }
        });
        long bsonBytes = source.Position;
        chunks.Writer.TryComplete();
        foreach (Thread t in threads)
        {
            t.Join();
        }
        while (chunks.Reader.TryRead(out Chunk? left))
        {
            left.Release();
        }
        ThrowIfFailed();
        summary.LoadSeconds = clock.Elapsed.TotalSeconds;

        if (!_options.NullSink && _options.Constraints == ConstraintTiming.After && _options.Mode is LoadMode.Create or LoadMode.Clean)
        {
            var constraintClock = Stopwatch.StartNew();
            IReadOnlyList<IReadOnlyList<string>> waves = SchemaBuilder.ConstraintWaves(_plan, includeKeys: true);
            string[] names = ["primary keys", "foreign keys", "indexes"];
            for (int i = 0; i < waves.Count; i++)
            {
                if (waves[i].Count > 0)
                {
                    _observer.Phase($"building {names[i]} ({waves[i].Count})");
                    RunParallel(waves[i]);
                }
            }
            summary.ConstraintSeconds = constraintClock.Elapsed.TotalSeconds;
        }

        foreach (Worker w in workers)
        {
            summary.Documents += w.Documents;
            summary.Rejected += w.Rejected;
            summary.Chunks += w.Chunks;
            for (int t = 0; t < summary.Tables.Count; t++)
            {
                summary.Tables[t].Rows += w.Rows[t];
                summary.Tables[t].Bytes += w.Bytes[t];
                summary.Tables[t].CopySeconds += w.CopySeconds[t];
            }
            w.Dispose();
        }
        summary.BsonBytes = bsonBytes;
        summary.Seconds = clock.Elapsed.TotalSeconds;
        summary.CpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuStart).TotalSeconds;
        summary.AllocatedBytes = GC.GetTotalAllocatedBytes(precise: false) - allocStart;
        summary.Gen0 = GC.CollectionCount(0) - g0;
        summary.Gen1 = GC.CollectionCount(1) - g1;
        summary.Gen2 = GC.CollectionCount(2) - g2;
        summary.PeakRssBytes = ProcessStats.PeakRssBytes();
        return summary;
    }

    private IChunkSource OpenSource()
    {
        string collection = _options.Collection ?? _plan.Mapping.Collection;
        if (MongoSource.IsMongoUri(_options.From))
        {
            string? database = _options.Database ?? _plan.Mapping.Database ?? MongoDB.Driver.MongoUrl.Create(_options.From).DatabaseName;
            if (string.IsNullOrEmpty(database))
            {
                throw new LoadException(FailureKind.Usage, "no MongoDB database to read from",
                    "neither -d/--db, the mapping's \"database\" nor the connection string names one", "pass -d/--db NAME");
            }
            MongoDB.Bson.BsonDocument? filter = null;
            if (_options.Query is not null)
            {
                try
                {
                    filter = MongoDB.Bson.BsonDocument.Parse(_options.Query);
                }
                catch (Exception e) when (e is FormatException or MongoDB.Bson.BsonException or InvalidOperationException)
                {
                    throw new LoadException(FailureKind.Usage, $"--query is not an Extended JSON document: {e.Message}", hint: "for example --query '{\"age\": {\"$gte\": 21}}'");
                }
            }
            return MongoSource.Open(_options.From, database, collection, filter, _options.BatchSize, _options.ChunkBytes, _stop.Token);
        }
        OpenedSource file = SourceOpener.Open(_options.From, _options.Database ?? _plan.Mapping.Database, collection, _options.OpenStdin);
        return new StreamChunker(file.Stream, file.DisplayName, _options.ChunkBytes);
    }

    private void RunParallel(IReadOnlyList<string> statements)
    {
        int next = -1;
        var threads = new Thread[Math.Min(_options.Jobs, statements.Count)];
        for (int i = 0; i < threads.Length; i++)
        {
            threads[i] = new Thread(() => Guard(() =>
            {
                using NpgsqlConnection conn = Open();
                int k;
                while (!_stop.IsCancellationRequested && (k = Interlocked.Increment(ref next)) < statements.Count)
                {
                    string sql = statements[k];
                    Run(() => SchemaBuilder.Execute(conn, sql), sql);
                }
            })) { IsBackground = true };
            threads[i].Start();
        }
        foreach (Thread t in threads)
        {
            t.Join();
        }
        ThrowIfFailed();
    }

    private void Guard(Action action)
    {
        try
        {
            action();
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _failure, e, null);
            _stop.Cancel();
        }
    }

    private void ThrowIfFailed()
    {
        if (_failure is { } f)
        {
            throw Translate(f);
        }
        _stop.Token.ThrowIfCancellationRequested();
    }

    internal NpgsqlConnection Open()
    {
        try
        {
            return _dataSource.OpenConnection();
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException)
        {
            throw new LoadException(FailureKind.Connection,
                $"could not connect to PostgreSQL at {_options.Target.Display}",
                Redact(e.Message),
                "check --to (or PGHOST, PGPORT, PGUSER, PGDATABASE), that the server runs and accepts this user",
                e);
        }
    }

    /// <summary>Runs a statement-level step; PostgreSQL errors become a LoadException naming the step.</summary>
    internal void Run(Action action, string what)
    {
        try
        {
            action();
        }
        catch (PostgresException e)
        {
            throw new LoadException(FailureKind.Data, $"PostgreSQL refused {Shorten(what)}: {e.MessageText}",
                e.Detail is null ? null : Redact(e.Detail), e.Hint, e);
        }
    }

    private static string Shorten(string sql) => sql.Length <= 200 ? sql : sql[..200] + "...";

    private Exception Translate(Exception e) => e switch
    {
        LoadException or DataException or BsonException or SourceException => e,
        PostgresException pg => new LoadException(FailureKind.Data, $"PostgreSQL error: {pg.MessageText}", pg.Detail, pg.Hint, pg),
        NpgsqlException or SocketException or IOException when e is not FileNotFoundException => new LoadException(FailureKind.Connection,
            $"lost the connection to PostgreSQL at {_options.Target.Display}", Redact(e.Message),
            "the chunks in flight were rolled back; committed chunks stay", e),
        _ => e,
    };

    private string Redact(string text)
    {
        string? password = _options.Target.Builder.Password;
        return string.IsNullOrEmpty(password) ? text : text.Replace(password, "********", StringComparison.Ordinal);
    }

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

        public void Run(ChannelReader<Chunk> chunks)
        {
            using NpgsqlConnection? conn = loader._options.NullSink ? null : loader.Open();
            CancellationToken stop = loader._stop.Token;
            while (chunks.WaitToReadAsync(stop).AsTask().GetAwaiter().GetResult())
            {
                while (chunks.TryRead(out Chunk? chunk))
                {
                    try
                    {
                        Process(conn, chunk);
                    }
                    finally
                    {
                        chunk.Release();
                    }
                    stop.ThrowIfCancellationRequested();
                }
            }
        }

        private void Process(NpgsqlConnection? conn, Chunk chunk)
        {
            _encoder.BeginChunk(sourceName);
            byte[] data = chunk.Buffer;
            int offset = 0;
            int documents = 0;
            int rejected = 0;
            while (offset < chunk.Length)
            {
                int length = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(offset));
                if (!_encoder.Encode(data.AsMemory(offset, length), chunk.SourceOffset + offset))
                {
                    rejected++;
                }
                documents++;
                offset += length;
            }
            _encoder.EndChunk();

            IReadOnlyList<CopyBuffer> buffers = _encoder.Buffers;
            long rows = 0;
            if (conn is null)
            {
                for (int t = 0; t < buffers.Count; t++)
                {
                    Rows[t] += buffers[t].Rows;
                    Bytes[t] += buffers[t].Length;
                    rows += buffers[t].Rows;
                }
            }
            else
            using (NpgsqlTransaction tx = conn.BeginTransaction())
            {
                for (int t = 0; t < buffers.Count; t++)
                {
                    CopyBuffer b = buffers[t];
                    if (b.Rows == 0)
                    {
                        continue;
                    }
                    long start = Stopwatch.GetTimestamp();
                    try
                    {
                        using NpgsqlRawCopyStream copy = conn.BeginRawBinaryCopy(loader._plan.Tables[t].CopySql);
                        copy.Write(b.WrittenSpan);
                    }
                    catch (PostgresException e)
                    {
                        throw new LoadException(FailureKind.Data,
                            $"PostgreSQL refused the rows of table \"{loader._plan.Tables[t].Name}\" from the chunk at byte offsets {chunk.SourceOffset}..{chunk.SourceOffset + chunk.Length} of {sourceName}: {e.MessageText}",
                            e.Detail, e.Hint ?? "the chunk was rolled back; fix the data or the mapping and re-run", e);
                    }
                    CopySeconds[t] += Stopwatch.GetElapsedTime(start).TotalSeconds;
                    Rows[t] += b.Rows;
                    Bytes[t] += b.Length;
                    rows += b.Rows;
                }
                tx.Commit();
            }
            Documents += documents;
            Rejected += rejected;
            Chunks++;
            loader._observer.ChunkCommitted(documents, rows, chunk.Length);
        }

        public void Dispose() => _encoder.Dispose();
    }
}
