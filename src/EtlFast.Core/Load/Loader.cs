using System.Diagnostics;
using System.Net.Sockets;
using System.Threading.Channels;
using EtlFast.Bson;
using EtlFast.Core.Engine;
using EtlFast.Core.Plan;
using EtlFast.Core.Sources;
using Npgsql;

namespace EtlFast.Core.Load;

/// <summary>
/// Runs a load: one thread cuts the source into chunks; one worker per job encodes each chunk's rows
/// into per-table COPY buffers and commits the chunk, with its checkpoint, in one transaction on its
/// own connection; then keys, foreign keys and indexes are built in parallel.
/// </summary>
public sealed partial class Loader
{
    private readonly LoadPlan _plan;
    private readonly LoadOptions _options;
    private readonly ILoadObserver _observer;
    private readonly NpgsqlDataSource _dataSource;
    private readonly CancellationTokenSource _stop;
    private readonly CancellationToken _userCancel;
    private readonly RejectSink _rejects;
    private Exception? _failure;
    private string? _runId;
    private HashSet<long> _committedBefore = [];

    public Loader(LoadPlan plan, LoadOptions options, ILoadObserver observer, CancellationToken cancel)
    {
        _plan = plan;
        _options = options;
        _observer = observer;
        _dataSource = new NpgsqlSlimDataSourceBuilder(options.Target.ConnectionString).Build();
        _userCancel = cancel;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        _rejects = new RejectSink(options.RejectDir, plan.Mapping.Collection);
    }

    /// <summary>The summary so far; complete after <see cref="Run"/> returns, partial when it threw.</summary>
    public LoadSummary Summary { get; private set; } = new() { Tables = [] };

    /// <summary>The checkpoint identity of this load (null for standard input or a null sink).</summary>
    public string? RunId => _runId;

    public LoadSummary Run()
    {
        var clock = Stopwatch.StartNew();
        TimeSpan cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        long allocStart = GC.GetTotalAllocatedBytes(precise: false);
        int g0 = GC.CollectionCount(0), g1 = GC.CollectionCount(1), g2 = GC.CollectionCount(2);
        var summary = new LoadSummary { Tables = [.. _plan.Tables.Select(t => new TableSummary { Name = t.Name })] };
        Summary = summary;
        var workers = new List<Worker>();
        try
        {
            // The source is opened first: a wrong --from must not leave tables behind.
            using IChunkSource source = SourceFactory.Open(_plan, _options, _stop.Token);
            (LoadMode mode, ConstraintTiming timing) = Prepare();
            RunWorkers(source, workers, summary);
            ThrowIfFailed();
            summary.LoadSeconds = clock.Elapsed.TotalSeconds;

            if (!_options.NullSink && timing == ConstraintTiming.After && mode is LoadMode.Create or LoadMode.Clean)
            {
                var constraintClock = Stopwatch.StartNew();
                BuildConstraints();
                summary.ConstraintSeconds = constraintClock.Elapsed.TotalSeconds;
            }
            if (_runId is not null)
            {
                using NpgsqlConnection conn = Open();
                Checkpoints.Finish(conn, _runId);
            }
            return summary;
        }
        finally
        {
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
            summary.SkippedChunks = _committedBefore.Count;
            SettleRejects(summary);
            summary.RejectFile = _rejects.Count > 0 ? _rejects.BsonPath : null;
            summary.Seconds = clock.Elapsed.TotalSeconds;
            summary.CpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuStart).TotalSeconds;
            summary.AllocatedBytes = GC.GetTotalAllocatedBytes(precise: false) - allocStart;
            summary.Gen0 = GC.CollectionCount(0) - g0;
            summary.Gen1 = GC.CollectionCount(1) - g1;
            summary.Gen2 = GC.CollectionCount(2) - g2;
            summary.PeakRssBytes = ProcessStats.PeakRssBytes();
            _rejects.Dispose();
            _dataSource.Dispose();
        }
    }

    /// <summary>
    /// With checkpoints, the database holds the exact record of the run's rejects (written with their
    /// chunks): the reject files are rewritten from it, and the count covers chunks of a resumed run too.
    /// </summary>
    private void SettleRejects(LoadSummary summary)
    {
        if (_runId is null)
        {
            return;
        }
        try
        {
            using NpgsqlConnection conn = _dataSource.OpenConnection();
            var rejects = Checkpoints.Rejects(conn, _runId);
            if (rejects.Count > 0 || _rejects.Count > 0)
            {
                _rejects.Rewrite(rejects);
            }
            summary.Rejected = rejects.Count;
        }
        catch (Exception e) when (e is NpgsqlException or IOException or SocketException or InvalidOperationException)
        {
            // PostgreSQL is away: the files keep what was appended after each commit; a resumed run settles them.
        }
    }

    /// <summary>Checks the target, settles resume against the checkpoints, prepares the tables. Returns the effective mode and timing.</summary>
    private (LoadMode, ConstraintTiming) Prepare()
    {
        if (_options.NullSink)
        {
            _observer.Phase("null sink: nothing is read from or written to PostgreSQL");
            return (_options.Mode, _options.Constraints);
        }
        using NpgsqlConnection control = Open();
        string? identity = Checkpoints.SourceIdentity(_options.From, _options.Query);
        if (identity is null && _options.Resume)
        {
            throw new LoadException(FailureKind.Usage, "--resume cannot be used with --from -",
                "standard input cannot be read again from where the last run stopped", "save the stream to a file and load the file");
        }
        Run(() => Checkpoints.EnsureTables(control), "creating the checkpoint tables");
        if (identity is not null)
        {
            _runId = Checkpoints.RunId(identity, _options.MappingText, _plan.Schema, _options.ChunkBytes);
        }
        RunState? state = _runId is null ? null : Checkpoints.Find(control, _runId);
        bool unfinished = state is not null && state.FinishedAt is null;

        if (_options.Resume)
        {
            if (!unfinished)
            {
                throw new LoadException(FailureKind.Usage, "there is no unfinished load of this source and mapping to resume",
                    state is null ? $"the checkpoints in schema \"{Checkpoints.Schema}\" know no load of it into schema \"{_plan.Schema}\" with this chunk size"
                                  : $"its last load finished at {state.FinishedAt:u}",
                    "run without --resume; the same source, mapping file, --schema and --chunk-size identify a load");
            }
            _committedBefore = state!.CommittedChunks;
            _observer.Phase($"resuming: {state.CommittedChunks.Count:N0} chunks ({state.CommittedDocuments:N0} documents) were committed by the run started {state.StartedAt:u}");
            return (Enum.Parse<LoadMode>(state.Mode, ignoreCase: true), Enum.Parse<ConstraintTiming>(state.Constraints, ignoreCase: true));
        }
        if (unfinished && _options.Mode != LoadMode.Clean)
        {
            throw new LoadException(FailureKind.Usage,
                $"the target holds an unfinished load of this source and mapping ({state!.CommittedChunks.Count:N0} chunks, {state.CommittedDocuments:N0} documents committed, started {state.StartedAt:u})",
                "loading again would add its committed rows a second time",
                "add --resume to continue it where it stopped, or use --mode clean to start over");
        }
        _observer.Phase("preparing tables");
        Run(() => SchemaBuilder.Prepare(control, _plan, _options.Mode, _options.Constraints), "preparing the tables");
        if (_runId is not null)
        {
            Checkpoints.Begin(control, _runId, _plan.Schema, identity!, _options.Mode, _options.Constraints);
        }
        return (_options.Mode, _options.Constraints);
    }

    private void RunWorkers(IChunkSource source, List<Worker> workers, LoadSummary summary)
    {
        if (source is MongoSource live)
        {
            live.Log = _observer.Phase; // reopened ranges after cursor or connection faults
        }
        _observer.Phase($"loading {source.DisplayName}");
        _observer.SourceOpened(source.DisplayName, source.Meter);
        var chunks = Channel.CreateBounded<Chunk>(new BoundedChannelOptions(Math.Max(1, _options.Jobs))
        {
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var threads = new Thread[_options.Jobs];
        for (int i = 0; i < threads.Length; i++)
        {
            var w = new Worker(this, source.DisplayName);
            workers.Add(w);
            threads[i] = new Thread(() => Guard(() => w.Run(chunks.Reader))) { Name = $"etlfast-worker-{i}", IsBackground = true };
            threads[i].Start();
        }
        Exception? sourceFault = null;
        Guard(() =>
        {
            while (!_stop.IsCancellationRequested && NextChunk(source, ref sourceFault) is { } chunk)
            {
                if (_committedBefore.Contains(chunk.Index))
                {
                    chunk.Release(); // committed by the run being resumed
                    continue;
                }
                if (!chunks.Writer.TryWrite(chunk))
                {
                    chunks.Writer.WriteAsync(chunk, _stop.Token).AsTask().GetAwaiter().GetResult();
                }
            }
        });
        summary.BsonBytes = source.Position;
        chunks.Writer.TryComplete();
        foreach (Thread t in threads)
        {
            t.Join();
        }
        while (chunks.Reader.TryRead(out Chunk? left))
        {
            left.Release();
        }
        if (sourceFault is not null)
        {
            // Reported after the whole chunks cut before the fault were loaded: they are good data.
            Interlocked.CompareExchange(ref _failure, sourceFault, null);
        }
    }

    /// <summary>The next chunk; a corrupt or truncated source ends the stream (recorded) instead of cancelling the chunks in flight.</summary>
    private Chunk? NextChunk(IChunkSource source, ref Exception? fault)
    {
        try
        {
            return source.Next(_stop.Token);
        }
        catch (BsonException e)
        {
            fault = e;
            return null;
        }
    }

    private void BuildConstraints()
    {
        IReadOnlyList<IReadOnlyList<string>> waves = SchemaBuilder.ConstraintWaves(_plan, includeKeys: true);
        string[] names = ["primary keys", "unique indexes", "foreign keys", "indexes"];
        for (int i = 0; i < waves.Count; i++)
        {
            if (waves[i].Count > 0)
            {
                _observer.Phase($"building {names[i]} ({waves[i].Count})");
                RunParallel(waves[i]);
            }
        }
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
                    Run(() =>
                    {
                        try
                        {
                            SchemaBuilder.Execute(conn, sql);
                        }
                        catch (PostgresException e) when (_options.Resume && e.SqlState is "42P16" or "42710")
                        {
                            // The interrupted run had built this key already.
                        }
                    }, sql);
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
        if (_failure is { } f && !_userCancel.IsCancellationRequested)
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
            "the chunks in flight were rolled back and committed ones stay: run the same command with --resume", e),
        _ => e,
    };

    private string Redact(string text)
    {
        string? password = _options.Target.Builder.Password;
        return string.IsNullOrEmpty(password) ? text : text.Replace(password, "********", StringComparison.Ordinal);
    }
}
