using System.Collections.Concurrent;
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
    /// <summary>The workers' connections: every read and write of a chunk's statements times out after --io-timeout.</summary>
    private readonly NpgsqlDataSource _chunkDataSource;
    private readonly CancellationTokenSource _stop;
    private readonly CancellationToken _userCancel;
    private readonly RejectSink _rejects;
    private Exception? _failure;
    private string? _runId;
    private HashSet<long> _committedBefore = [];
    private readonly bool _live;
    /// <summary>A live load's ranges and where each goes on: stored at the start, read back on resume and by every partition.</summary>
    private (IReadOnlyList<MongoRange> Ranges, IReadOnlyDictionary<int, RangeStart> Starts)? _rangePlan;
    /// <summary>With checkpoints on a live source: each range's chunks commit in order.</summary>
    private CommitOrder? _commitOrder;
    /// <summary>--resume found the load finished: nothing is read or written.</summary>
    private bool _alreadyFinished;

    /// <summary>True when chunk <paramref name="index"/> is this process's to load (always, unless --partition).</summary>
    private bool Owns(long index) => _options.Partition.IsWhole
        || (_live ? _options.Partition.OwnsRange((int)(index >> MongoRangeReader.SequenceBits)) : _options.Partition.OwnsChunk(index));

    public Loader(LoadPlan plan, LoadOptions options, ILoadObserver observer, CancellationToken cancel)
    {
        _plan = plan;
        _options = options;
        _observer = observer;
        _dataSource = new NpgsqlSlimDataSourceBuilder(options.Target.ConnectionString).Build();
        _chunkDataSource = new NpgsqlSlimDataSourceBuilder(ChunkConnectionString(options)).Build();
        _userCancel = cancel;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        _rejects = new RejectSink(options.RejectDir, RejectFileStem(plan, options));
        _live = MongoSource.IsMongoUri(options.From);
    }

    /// <summary>
    /// The target's connection string with Npgsql's per-read and per-write timeout (its "Command Timeout",
    /// which also bounds every wait of a COPY) set to --io-timeout, and no wait for the answer to the
    /// cancel request a timeout sends: the stuck connection is dropped and the chunk retried on a new one.
    /// </summary>
    private static string ChunkConnectionString(LoadOptions options)
    {
        var b = new NpgsqlConnectionStringBuilder(options.Target.ConnectionString)
        {
            CommandTimeout = Math.Max(1, (int)Math.Ceiling(options.IoTimeout.TotalSeconds)),
            CancellationTimeout = -1,
        };
        return b.ConnectionString;
    }

    /// <summary>The reject file's name without ".rejects.bson": the collection, and the partition when there are several.</summary>
    public static string RejectFileStem(LoadPlan plan, LoadOptions options) => options.Partition.IsWhole
        ? plan.Mapping.Collection
        : $"{plan.Mapping.Collection}.part-{options.Partition.Index}-of-{options.Partition.Count}";

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
            (LoadMode mode, ConstraintTiming timing) = Prepare(source as MongoSource);
            if (_alreadyFinished)
            {
                summary.AlreadyFinished = true;
                return summary;
            }
            if (source is MongoSource live)
            {
                StartLive(live);
            }
            RunWorkers(source, workers, summary);
            ThrowIfFailed();
            summary.LoadSeconds = clock.Elapsed.TotalSeconds;

            if (!IsLastPartition())
            {
                return summary; // the keys are built, and the run marked finished, by the last partition to finish
            }
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
            _chunkDataSource.Dispose();
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
            var rejects = Checkpoints.Rejects(conn, _runId, Owns);
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
    private (LoadMode, ConstraintTiming) Prepare(MongoSource? live)
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
        if (!_options.Partition.IsWhole && _runId is not null)
        {
            Checkpoints.Lock(control, _runId);
            try
            {
                return PreparePartition(control, identity!, live);
            }
            finally
            {
                Checkpoints.Unlock(control, _runId);
            }
        }
        RunState? state = _runId is null ? null : Checkpoints.Find(control, _runId);
        bool unfinished = state is not null && state.FinishedAt is null;

        if (_options.Resume && state is { FinishedAt: { } finishedAt })
        {
            // A scheduler's retry of a step that finished (a Job restarted after the end, a cron or
            // Airflow retry): the load is complete, so there is nothing to do, and that is a success.
            _observer.Phase($"nothing to do: the load of {live?.DisplayName ?? _options.From} into schema \"{_plan.Schema}\" started {state.StartedAt:u} finished at {finishedAt:u} ({state.CommittedChunks.Count:N0} chunks, {state.CommittedDocuments:N0} documents)");
            _alreadyFinished = true;
            return (_options.Mode, _options.Constraints);
        }
        if (_options.Resume && unfinished)
        {
            _committedBefore = state!.CommittedChunks;
            _observer.Phase($"resuming: {state.CommittedChunks.Count:N0} chunks ({state.CommittedDocuments:N0} documents) were committed by the run started {state.StartedAt:u}");
            LoadRangePlan(control, live);
            return (Enum.Parse<LoadMode>(state.Mode, ignoreCase: true), Enum.Parse<ConstraintTiming>(state.Constraints, ignoreCase: true));
        }
        if (_options.Resume)
        {
            // Nothing was recorded (the first attempt died before its run began): start it, so that
            // "--resume" is safe to pass always, as it is with --partition.
            _observer.Phase($"no earlier load of this source and mapping into schema \"{_plan.Schema}\" to resume: starting it");
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
            BeginRun(control, identity!, live, partitions: 1);
        }
        return (_options.Mode, _options.Constraints);
    }

    /// <summary>Records the run and, for a live source, its range plan, in one transaction: a run is never recorded without its plan.</summary>
    private void BeginRun(NpgsqlConnection control, string identity, MongoSource? live, int partitions)
    {
        Run(() =>
        {
            using NpgsqlTransaction tx = control.BeginTransaction();
            Checkpoints.Begin(control, _runId!, _plan.Schema, identity, _options.Mode, _options.Constraints, partitions);
            if (live is not null)
            {
                RangePlanStore.Store(control, _runId!, live.Planned);
                _rangePlan = (live.Planned, new Dictionary<int, RangeStart>());
            }
            tx.Commit();
        }, "recording the run");
    }

    /// <summary>A resumed or joined live load reads the plan the run started with, and goes on where its committed chunks end.</summary>
    private void LoadRangePlan(NpgsqlConnection control, MongoSource? live)
    {
        if (live is null)
        {
            return;
        }
        _rangePlan = RangePlanStore.Load(control, _runId!, live.DisplayName) ?? throw new LoadException(FailureKind.Usage,
            $"the unfinished load of {live.DisplayName} has no stored range plan, so it cannot be resumed exactly",
            "it was started by an earlier etlfast, which planned the _id ranges again at each start; resuming such a load can skip documents",
            "start over with --mode clean");
        // A range read by one query because the server's _id comparisons cannot be trusted (see
        // MongoRangePlanner) cannot go on after an _id either: partly committed, it cannot be resumed exactly.
        if (_rangePlan.Value.Ranges.FirstOrDefault(r => r.Group.Unranged && _rangePlan.Value.Starts.ContainsKey(r.Number)) is { } unranged)
        {
            throw new LoadException(FailureKind.Usage,
                $"the unfinished load of {live.DisplayName} cannot be resumed exactly: its _id range {unranged} had committed chunks when it stopped",
                "that range is read by one query, in no _id order this server can be trusted with, so there is no position to go on from",
                "start over with --mode clean");
        }
        int goingOn = _rangePlan.Value.Starts.Count;
        _observer.Phase($"the stored plan has {_rangePlan.Value.Ranges.Count:N0} _id ranges; {goingOn:N0} go on after the last _id they committed, the others from their start");
    }

    /// <summary>Starts a live source's readers on the stored plan (else its own), with chunk commits in range order when checkpointed.</summary>
    private void StartLive(MongoSource live)
    {
        (IReadOnlyList<MongoRange> ranges, IReadOnlyDictionary<int, RangeStart> starts) = _rangePlan ?? (live.Planned, new Dictionary<int, RangeStart>());
        if (_runId is not null)
        {
            _commitOrder = new CommitOrder(starts);
        }
        live.Start(ranges, starts);
    }

    /// <summary>
    /// Prepare for one of several processes sharing a load (under the run's lock): the first to arrive
    /// prepares the tables as --mode says and starts the run; the others join it and leave the tables
    /// alone. A partition that ran before continues only with --resume, as a whole load would.
    /// </summary>
    private (LoadMode, ConstraintTiming) PreparePartition(NpgsqlConnection control, string identity, MongoSource? live)
    {
        Partition me = _options.Partition;
        RunState? state = Checkpoints.Find(control, _runId!);
        Dictionary<int, bool> parts = state is null ? [] : Checkpoints.Parts(control, _runId!);
        // A finished load is continued too when this partition took part in it and --resume is given (a
        // pod restarted after the end): its chunks are all committed, so nothing is loaded twice.
        if (state is not null && (state.FinishedAt is null || (_options.Resume && parts.ContainsKey(me.Index))))
        {
            if (state.Partitions != me.Count)
            {
                throw new LoadException(FailureKind.Usage,
                    $"the unfinished load of this source and mapping is split into {state.Partitions} partition{(state.Partitions == 1 ? "" : "s")}, not {me.Count}",
                    $"it was started {state.StartedAt:u}; its chunks are assigned by the number of partitions, which cannot change midway",
                    state.Partitions == 1
                        ? "finish it with --resume and no --partition, or start over with --mode clean and no --partition"
                        : $"run its partitions with --partition I/{state.Partitions}, or finish it in one process with --resume and no --partition");
            }
            if (parts.ContainsKey(me.Index))
            {
                if (!_options.Resume)
                {
                    throw new LoadException(FailureKind.Usage,
                        $"partition {me} of this load has run before (the load started {state.StartedAt:u}; {state.CommittedChunks.Count:N0} chunks of all partitions committed)",
                        "loading it again would add its committed rows a second time",
                        "add --resume to continue it where it stopped (a restarted Kubernetes pod should always pass --resume)");
                }
                _committedBefore = state.CommittedChunks;
                _observer.Phase($"resuming partition {me} of the load started {state.StartedAt:u}");
            }
            else
            {
                Checkpoints.StartPart(control, _runId!, me.Index);
                _observer.Phase($"joining the load started {state.StartedAt:u} as partition {me} ({parts.Count} of {me.Count} partitions started before)");
            }
            LoadRangePlan(control, live);
            return (Enum.Parse<LoadMode>(state.Mode, ignoreCase: true), Enum.Parse<ConstraintTiming>(state.Constraints, ignoreCase: true));
        }
        if (_options.Resume)
        {
            // The first to arrive finds nothing to resume: start the load, so "--resume" is safe to pass always.
            _observer.Phase($"no unfinished load to resume: starting it as partition {me}");
        }
        _observer.Phase($"preparing tables (partition {me}: the first of the {me.Count} partitions to arrive)");
        Run(() => SchemaBuilder.Prepare(control, _plan, _options.Mode, _options.Constraints), "preparing the tables");
        BeginRun(control, identity, live, me.Count);
        Checkpoints.StartPart(control, _runId!, me.Index);
        return (_options.Mode, _options.Constraints);
    }

    /// <summary>
    /// True for a whole load, and for the partition that finishes last (under the run's lock, so exactly
    /// one sees every partition finished): it builds the keys and marks the run finished.
    /// </summary>
    private bool IsLastPartition()
    {
        if (_options.Partition.IsWhole || _runId is null)
        {
            return true;
        }
        using NpgsqlConnection conn = Open();
        Checkpoints.Lock(conn, _runId);
        try
        {
            int finished = Checkpoints.FinishPart(conn, _runId, _options.Partition.Index);
            if (finished >= _options.Partition.Count)
            {
                _observer.Phase($"partition {_options.Partition} done, the last of {_options.Partition.Count}: finishing the load");
                return true;
            }
            _observer.Phase($"partition {_options.Partition} done: {finished} of {_options.Partition.Count} partitions have finished; the last to finish builds the keys and indexes");
            return false;
        }
        finally
        {
            Checkpoints.Unlock(conn, _runId);
        }
    }

    private void RunWorkers(IChunkSource source, List<Worker> workers, LoadSummary summary)
    {
        if (source is MongoSource live)
        {
            live.Log = _observer.Phase; // reopened ranges after cursor or connection faults
        }
        _observer.Phase($"loading {source.DisplayName}");
        _observer.SourceOpened(source.DisplayName, source.Meter);
        // Chunks in memory: one per worker, one being handed over, and these queued. Cutting a chunk
        // (a read from the page cache) takes a few ms against ~100 ms to encode one, so half a chunk
        // per worker queued keeps them fed; each queued chunk is 4 MiB of resident memory.
        var chunks = Channel.CreateBounded<Chunk>(new BoundedChannelOptions(Math.Max(1, _options.Jobs / 2))
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
        long ownBytes = 0;
        Guard(() =>
        {
            while (!_stop.IsCancellationRequested && NextChunk(source, ref sourceFault) is { } chunk)
            {
                if (_committedBefore.Contains(chunk.Index) || !Owns(chunk.Index))
                {
                    chunk.Release(); // committed by the run being resumed, or another partition's
                    continue;
                }
                ownBytes += chunk.Length;
                if (!chunks.Writer.TryWrite(chunk))
                {
                    chunks.Writer.WriteAsync(chunk, _stop.Token).AsTask().GetAwaiter().GetResult();
                }
            }
        });
        summary.BsonBytes = _options.Partition.IsWhole ? source.Position : ownBytes;
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
                if (i < 2)
                {
                    BuildKeys(i, waves[i]);
                }
                else
                {
                    RunParallel(waves[i]);
                }
            }
        }
    }

    private void RunParallel(IReadOnlyList<string> statements, ConcurrentQueue<(string Sql, LoadException Error)>? duplicates = null)
    {
        int next = -1;
        var threads = new Thread[Math.Min(_options.Jobs, statements.Count)];
        for (int i = 0; i < threads.Length; i++)
        {
            threads[i] = new Thread(() => Guard(() =>
            {
                NpgsqlConnection? conn = null;
                try
                {
                    int k;
                    while (!_stop.IsCancellationRequested && (k = Interlocked.Increment(ref next)) < statements.Count)
                    {
                        try
                        {
                            ExecuteWithRetry(ref conn, statements[k]);
                        }
                        catch (LoadException e) when (duplicates is not null && e.InnerException is PostgresException { SqlState: "23505" })
                        {
                            duplicates.Enqueue((statements[k], e)); // settled by BuildKeys once the others are built
                        }
                    }
                }
                finally
                {
                    conn?.Dispose();
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

    /// <summary>Attempts at a step that failed for a reason of the server or the connection: a chunk, a key build.</summary>
    private const int MaxAttempts = 6;

    /// <summary>The bounded backoff before attempt <paramref name="attempt"/> + 1: 0.5 s, doubling to 16 s.</summary>
    private static TimeSpan Backoff(int attempt) => TimeSpan.FromMilliseconds(250 * (1 << attempt));

    /// <summary>
    /// One key, foreign key or index statement. A fault of the server or the connection (a terminated
    /// backend, a restart) rolled the statement back, so it runs again on a new connection after a bounded
    /// backoff, as a chunk would; "already exists" on a retry, or on resuming, means it had been built.
    /// </summary>
    private void ExecuteWithRetry(ref NpgsqlConnection? conn, string sql)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                conn ??= Open();
                NpgsqlConnection c = conn;
                bool again = attempt > 1 || _options.Resume || _keysRebuilt;
                Run(() =>
                {
                    try
                    {
                        SchemaBuilder.Execute(c, sql);
                    }
                    catch (PostgresException e) when (again && e.SqlState is "42P16" or "42710" or "42P07")
                    {
                        // built by the attempt (or the interrupted run) before this one
                    }
                }, sql);
                return;
            }
            catch (LoadException e) when (PgFaults.IsRetryable(PgFaults.Classify(e)) && attempt < MaxAttempts && !_stop.IsCancellationRequested)
            {
                TimeSpan wait = Backoff(attempt);
                _observer.Phase($"{Shorten(sql)} failed: {Redact((e.InnerException ?? e).Message).ReplaceLineEndings(" ")}; retrying in {wait.TotalSeconds:N1} s ({attempt}/{MaxAttempts - 1})");
                conn?.Dispose();
                conn = null;
                _stop.Token.WaitHandle.WaitOne(wait);
                _stop.Token.ThrowIfCancellationRequested();
            }
        }
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

    internal NpgsqlConnection Open() => Open(_dataSource);

    /// <summary>A worker's connection, whose waits time out after --io-timeout.</summary>
    private NpgsqlConnection OpenForChunks() => Open(_chunkDataSource);

    private NpgsqlConnection Open(NpgsqlDataSource source)
    {
        try
        {
            return source.OpenConnection();
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
        catch (PostgresException e) when (PgFaults.IsServerGoingAway(e))
        {
            throw new LoadException(FailureKind.Connection, $"lost the connection to PostgreSQL at {_options.Target.Display} while {Shorten(what)}: {e.MessageText}",
                e.Detail is null ? null : Redact(e.Detail), "nothing of the step in flight was committed: run the same command again (with --resume if the load had begun)", e);
        }
        catch (PostgresException e)
        {
            throw new LoadException(FailureKind.Data, $"PostgreSQL refused {Shorten(what)}: {e.MessageText}",
                e.Detail is null ? null : Redact(e.Detail), e.Hint, e);
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or IOException && e is not FileNotFoundException)
        {
            throw new LoadException(FailureKind.Connection, $"lost the connection to PostgreSQL at {_options.Target.Display} while {Shorten(what)}",
                Redact(e.Message), "nothing of the step in flight was committed: run the same command again (with --resume if the load had begun)", e);
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
