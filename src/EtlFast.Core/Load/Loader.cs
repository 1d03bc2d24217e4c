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
public sealed partial class Loader : IDisposable
{
    private readonly LoadPlan _plan;
    private readonly LoadOptions _options;
    private readonly ILoadObserver _observer;
    private readonly PgSteps _steps;
    private readonly RunLedger _ledger;
    private readonly CancellationTokenSource _stop;
    private readonly CancellationToken _userCancel;
    private readonly RejectSink _rejects;
    private readonly FirstFailure _failure;
    private readonly bool _live;
    /// <summary>With checkpoints on a live source: each range's chunks commit in order.</summary>
    private CommitOrder? _commitOrder;

    /// <summary>True when chunk <paramref name="index"/> is this process's to load (always, unless --partition).</summary>
    private bool Owns(long index) => _options.Partition.IsWhole
        || (_live ? _options.Partition.OwnsRange((int)(index >> MongoRangeReader.SequenceBits)) : _options.Partition.OwnsChunk(index));

    public Loader(LoadPlan plan, LoadOptions options, ILoadObserver observer, CancellationToken cancel)
    {
        _plan = plan;
        _options = options;
        _observer = observer;
        _steps = new PgSteps(options.Target, options.IoTimeout);
        _ledger = new RunLedger(plan, options, observer, _steps);
        _userCancel = cancel;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        _failure = new FirstFailure(_stop);
        _rejects = new RejectSink(options.RejectDir, RejectFileStem(plan, options));
        _live = MongoSource.IsMongoUri(options.From);
    }

    /// <summary>The reject file's name without ".rejects.bson": the collection, and the partition when there are several.</summary>
    public static string RejectFileStem(LoadPlan plan, LoadOptions options) => options.Partition.IsWhole
        ? plan.Mapping.Collection
        : $"{plan.Mapping.Collection}.part-{options.Partition.Index}-of-{options.Partition.Count}";

    /// <summary>The summary so far; complete after <see cref="Run"/> returns, partial when it threw.</summary>
    public LoadSummary Summary { get; private set; } = new() { Tables = [] };

    /// <summary>The checkpoint identity of this load (null for standard input or a null sink).</summary>
    public string? RunId => _ledger.RunId;

    /// <summary>
    /// With <see cref="LoadOptions.DeferKeys"/>: the data is in and its keys (if the load builds them) and the
    /// run's end wait for <see cref="FinishDeferred"/>, which a whole-database run calls once every collection's data is in.
    /// </summary>
    private bool _deferred;
    private ConstraintTiming _timing;
    private LoadMode _mode;

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
            (LoadMode mode, ConstraintTiming timing) = _ledger.Prepare(source as MongoSource);
            if (_ledger.AlreadyFinished)
            {
                summary.AlreadyFinished = true;
                return summary;
            }
            if (!_ledger.PartitionDone)
            {
                if (source is MongoSource live)
                {
                    StartLive(live);
                }
                RunWorkers(source, workers, summary);
                ThrowIfFailed();
            }
            summary.LoadSeconds = clock.Elapsed.TotalSeconds;

            if (!_ledger.IsLastPartition())
            {
                return summary; // the keys are built, and the run marked finished, by the last partition to finish
            }
            if (_options.DeferKeys)
            {
                (_deferred, _mode, _timing) = (true, mode, timing);
                return summary;
            }
            if (BuildsKeysAfter(mode, timing))
            {
                var constraintClock = Stopwatch.StartNew();
                new ConstraintBuilder([KeyTarget], _steps, _stop.Token).Build();
                summary.ConstraintSeconds = constraintClock.Elapsed.TotalSeconds;
            }
            _ledger.Finish();
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
            summary.SkippedChunks = _ledger.CommittedBefore.Count;
            SettleRejects(summary);
            summary.Seconds = clock.Elapsed.TotalSeconds;
            summary.CpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuStart).TotalSeconds;
            summary.AllocatedBytes = GC.GetTotalAllocatedBytes(precise: false) - allocStart;
            summary.Gen0 = GC.CollectionCount(0) - g0;
            summary.Gen1 = GC.CollectionCount(1) - g1;
            summary.Gen2 = GC.CollectionCount(2) - g2;
            summary.PeakRssBytes = ProcessStats.PeakRssBytes();
            _rejects.Dispose();
            if (!_deferred)
            {
                _steps.Dispose();
            }
        }
    }

    /// <summary>Releases the connections a deferred run kept for <see cref="FinishDeferred"/> when that never came (the run stopped first).</summary>
    public void Dispose()
    {
        if (_deferred)
        {
            _deferred = false;
            _steps.Dispose();
        }
    }

    private KeyTarget KeyTarget => new(_plan, _options, _ledger.RunId, _observer);

    /// <summary>
    /// After a <see cref="Run"/> with <see cref="LoadOptions.DeferKeys"/>: the keys, foreign keys and indexes
    /// this load leaves to be built (null when it builds none: a resumed run that had finished, another
    /// partition's turn, a null sink, constraints made before the data, an append), and the connections to build them on.
    /// </summary>
    internal (KeyTarget Target, PgSteps Steps)? DeferredKeys =>
        _deferred && BuildsKeysAfter(_mode, _timing) ? (KeyTarget, _steps) : null;

    /// <summary>Whether this load builds its keys, foreign keys and indexes once the data is in.</summary>
    private bool BuildsKeysAfter(LoadMode mode, ConstraintTiming timing) =>
        !_options.NullSink && timing == ConstraintTiming.After && mode is LoadMode.Create or LoadMode.Clean;

    /// <summary>
    /// After a <see cref="Run"/> with <see cref="LoadOptions.DeferKeys"/> and the building of its <see cref="DeferredKeys"/>
    /// (which took <paramref name="constraintSeconds"/>): marks the run finished.
    /// </summary>
    public void FinishDeferred(double constraintSeconds)
    {
        if (!_deferred)
        {
            return; // finished before (a resumed run), or another partition builds the keys
        }
        try
        {
            Summary.ConstraintSeconds = constraintSeconds;
            SettleRejects(Summary); // the repeats of a key, rejected while building it, are this collection's rejects too
            _rejects.Dispose();
            _ledger.Finish();
        }
        finally
        {
            _deferred = false;
            _steps.Dispose();
        }
    }

    /// <summary>
    /// With checkpoints, the database holds the exact record of the run's rejects (written with their
    /// chunks): the reject files are rewritten from it, and the count covers chunks of a resumed run too.
    /// </summary>
    private void SettleRejects(LoadSummary summary)
    {
        try
        {
            SettleRecordedRejects(summary);
        }
        finally
        {
            summary.RejectFile = _rejects.Count > 0 ? _rejects.BsonPath : null;
        }
    }

    private void SettleRecordedRejects(LoadSummary summary)
    {
        if (RunId is null)
        {
            return;
        }
        try
        {
            using NpgsqlConnection conn = _steps.Open();
            var rejects = Checkpoints.Rejects(conn, RunId, Owns);
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

    /// <summary>Starts a live source's readers on the stored plan (else its own), with chunk commits in range order when checkpointed.</summary>
    private void StartLive(MongoSource live)
    {
        (IReadOnlyList<MongoRange> ranges, IReadOnlyDictionary<int, RangeStart> starts) = _ledger.RangePlan ?? (live.Planned, new Dictionary<int, RangeStart>());
        if (RunId is not null)
        {
            _commitOrder = new CommitOrder(starts);
        }
        live.Start(ranges, starts);
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
            threads[i] = new Thread(() => _failure.Guard(() => w.Run(chunks.Reader))) { Name = $"etlfast-worker-{i}", IsBackground = true };
            threads[i].Start();
        }
        Exception? sourceFault = null;
        long ownBytes = 0;
        _failure.Guard(() =>
        {
            while (!_stop.IsCancellationRequested && NextChunk(source, ref sourceFault) is { } chunk)
            {
                if (_ledger.CommittedBefore.Contains(chunk.Index) || !Owns(chunk.Index))
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
            _failure.Keep(sourceFault);
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

    private void ThrowIfFailed() => _failure.ThrowIfFailed(_steps, _userCancel);

    internal NpgsqlConnection Open() => _steps.Open();

    /// <summary>A worker's connection, whose waits time out after --io-timeout.</summary>
    private NpgsqlConnection OpenForChunks() => _steps.OpenForChunks();

    private string Redact(string text) => _steps.Redact(text);
}
