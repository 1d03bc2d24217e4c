using EtlFast.PgCopy;
using EtlFast.Core.Load;
using System.Collections.Concurrent;
using MongoDB.Bson;
using MongoDB.Driver;

namespace EtlFast.Core.Sources;

/// <summary>
/// A live collection read through the official driver, in the RawBsonDocument style that works under
/// NativeAOT (no POCOs, LINQ or typed builders). The <c>_id</c> key space is cut into ranges per type
/// group (<see cref="MongoRangePlanner"/>); several readers, each on its own thread, read whole ranges
/// sorted on <c>_id</c> and pack raw documents into chunks, which <see cref="Next"/> hands out from a
/// bounded queue to the one thread that calls it. Chunk indexes depend only on the data and the chunk
/// size (<see cref="MongoRangeReader"/>), so <c>--resume</c> skips the right chunks whatever the order
/// they arrived in. A getMore or connection fault in a range is outlived by reopening the range after
/// the last <c>_id</c> read, with bounded backoff.
/// </summary>
public sealed class MongoSource : IChunkSource
{
    /// <summary>Server selection timeout when the connection string sets none (the driver's is 30 s).</summary>
    public static readonly TimeSpan DefaultServerSelectionTimeout = TimeSpan.FromSeconds(10);

    private readonly MongoClient _client;
    private readonly IMongoCollection<RawBsonDocument> _collection;
    private readonly MongoRetry _retry;
    private readonly int? _readers;
    private readonly Load.Partition _partition;
    private readonly CancellationTokenSource _stop;
    private IReadOnlyList<MongoRange> _ranges = [];
    private IReadOnlyDictionary<int, RangeStart> _starts = new Dictionary<int, RangeStart>();
    private BlockingCollection<Chunk>? _queue;
    private Thread[] _threads = [];
    private int _nextRange = -1;
    private int _running;
    private long _cut;
    private long _position;
    private long _reopened;
    private readonly FirstFailure _failure;
    private bool _disposed;

    private MongoSource(MongoClient client, IMongoCollection<RawBsonDocument> collection, IReadOnlyList<MongoRange> planned, MongoRetry retry,
        string displayName, BsonDocument? filter, int? batchSize, int chunkBytes, int? readers, Load.Partition partition, CancellationToken cancel)
    {
        _client = client;
        _collection = collection;
        _retry = retry;
        Planned = planned;
        _readers = readers;
        _partition = partition;
        DisplayName = displayName;
        UserFilter = filter;
        BatchSize = batchSize;
        ChunkBytes = chunkBytes;
        Blocks = new ChunkBlockPool(chunkBytes + (chunkBytes / 4));
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        _failure = new FirstFailure(_stop);
    }

    /// <summary>
    /// Starts the reader threads on <paramref name="ranges"/> (those this partition owns), each range at
    /// its <paramref name="starts"/> entry (absent: from its beginning). A load passes the plan stored in
    /// the target with the positions its committed chunks reached, so a resume or a partition started
    /// later reads the same ranges as the first process did; anything else reads <see cref="Planned"/>.
    /// </summary>
    internal void Start(IReadOnlyList<MongoRange> ranges, IReadOnlyDictionary<int, RangeStart>? starts = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_queue is not null)
        {
            throw new InvalidOperationException("the source is already started");
        }
        _ranges = _partition.IsWhole ? ranges : [.. ranges.Where(r => _partition.OwnsRange(r.Number))];
        _starts = starts ?? new Dictionary<int, RangeStart>();
        int n = _ranges.Count == 0 ? 0 : Math.Clamp(_readers ?? Environment.ProcessorCount, 1, _ranges.Count);
        _queue = new BlockingCollection<Chunk>(new ConcurrentQueue<Chunk>(), n + 1);
        _threads = new Thread[n];
        _running = n;
        for (int i = 0; i < n; i++)
        {
            var reader = new MongoRangeReader(this, _collection, _retry);
            _threads[i] = new Thread(() => ReadRanges(reader)) { Name = $"etlfast-mongo-reader-{i}", IsBackground = true };
        }
        foreach (Thread t in _threads)
        {
            t.Start();
        }
        if (n == 0)
        {
            _queue.CompleteAdding(); // an empty or missing collection
        }
    }

    /// <summary>The ranges the planner cut the collection into at <see cref="Open"/> (all partitions' ranges).</summary>
    internal IReadOnlyList<MongoRange> Planned { get; }

    public string DisplayName { get; }

    /// <summary>Bytes of BSON handed out by <see cref="Next"/> so far.</summary>
    public long Position => Interlocked.Read(ref _position);

    /// <summary>How many <c>_id</c> ranges are read (the collection's, or this partition's share of them).</summary>
    public int Ranges => _queue is null ? Planned.Count : _ranges.Count;

    /// <summary>How many threads read ranges (at most one per range).</summary>
    public int Readers => _threads.Length;

    /// <summary>How many times a range was reopened after a fault.</summary>
    public long Reopened => Interlocked.Read(ref _reopened);

    /// <summary>
    /// Messages about the plan (a stage the server lacks, ranges that did not add up) and faults the
    /// source outlived (a reopened range); null: none are reported yet. Readers may note faults before
    /// the loader has a place to report to: what is noted meanwhile is kept and reported when this is set.
    /// </summary>
    public Action<string>? Log
    {
        get => _log;
        set
        {
            lock (_notes)
            {
                _log = value;
                while (value is not null && _notes.TryDequeue(out string? early))
                {
                    value(early);
                }
            }
        }
    }

    private Action<string>? _log;
    private readonly Queue<string> _notes = new();

    internal BsonDocument? UserFilter { get; }

    internal int? BatchSize { get; }

    internal int ChunkBytes { get; }

    /// <summary>The unmanaged buffers readers pack chunks into, reused as workers release them.</summary>
    internal ChunkBlockPool Blocks { get; }

    public static bool IsMongoUri(string from) =>
        from.StartsWith("mongodb://", StringComparison.Ordinal) || from.StartsWith("mongodb+srv://", StringComparison.Ordinal);

    /// <summary>
    /// Connects and cuts the collection into <c>_id</c> ranges; <see cref="Start"/> (or the first
    /// <see cref="Next"/>) starts <paramref name="readers"/> reader threads (null: one per core, as
    /// <c>-j</c>'s default). Throws <see cref="SourceException"/> naming the
    /// hosts, never the password: with <c>connection: true</c> when the server cannot be reached.
    /// </summary>
    /// <param name="partition">With <c>--partition</c>: only the ranges this partition owns are read.</param>
    /// <param name="ioTimeout">The driver's socketTimeoutMS unless the URI sets it (<c>--io-timeout</c>): how long a read may wait for a reply.</param>
    public static MongoSource Open(string uri, string database, string collection, BsonDocument? filter, int? batchSize, int chunkBytes,
        CancellationToken cancel, int? readers = null, Load.Partition? partition = null, TimeSpan? ioTimeout = null)
    {
        MongoUrl url = ParseUrl(uri);
        string hosts = string.Join(",", url.Servers.Select(s => s.ToString()));
        string display = Display(url, database, collection);
        MongoClient client = Connect(url, uri, hosts, database, cancel, ioTimeout);
        var retry = new MongoRetry(display, url.Password) { SocketTimeout = client.Settings.SocketTimeout };
        try
        {
            IMongoDatabase db = client.GetDatabase(database);
            var planner = new MongoRangePlanner(db.GetCollection<BsonDocument>(collection), retry);
            MongoRangePlan plan = planner.Plan(cancel);
            var source = new MongoSource(client, db.GetCollection<RawBsonDocument>(collection), plan.Ranges, retry, display, filter, batchSize, chunkBytes, readers,
                partition ?? Load.Partition.Whole, cancel);
            foreach (string note in plan.Notes)
            {
                source.Report(note);
            }
            return source;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A connected client for other readers of a live collection (<c>etlfast infer</c>): the same URI
    /// handling, timeout and messages as <see cref="Open"/>. Returns the hosts and password for messages.
    /// </summary>
    internal static (MongoClient Client, string Hosts, string? Password) ConnectClient(string uri, string database, CancellationToken cancel,
        Action<MongoDB.Driver.Core.Configuration.ClusterBuilder>? configure = null)
    {
        MongoUrl url = ParseUrl(uri);
        string hosts = string.Join(",", url.Servers.Select(s => s.ToString()));
        return (Connect(url, uri, hosts, database, cancel, configure: configure), hosts, url.Password);
    }

    private static MongoUrl ParseUrl(string uri)
    {
        try
        {
            return MongoUrl.Create(uri);
        }
        catch (Exception e) when (e is MongoConfigurationException or ArgumentException or FormatException)
        {
            throw new SourceException($"invalid MongoDB connection string: {Redact(e.Message, uri)}",
                "write mongodb://[user:password@]host[:port][,host...]/[database][?options] (or mongodb+srv://)");
        }
    }

    /// <summary>How messages name a collection: hosts and namespace, never the credentials or options.</summary>
    public static string Display(MongoUrl url, string database, string collection) =>
        $"mongodb://{string.Join(",", url.Servers.Select(s => s.ToString()))}/{database}.{collection}";

    /// <summary>A client whose server answered a ping: a wrong host, port or password is reported here, once, without retries.</summary>
    private static MongoClient Connect(MongoUrl url, string uri, string hosts, string database, CancellationToken cancel, TimeSpan? ioTimeout = null,
        Action<MongoDB.Driver.Core.Configuration.ClusterBuilder>? configure = null)
    {
        MongoClientSettings settings = MongoClientSettings.FromUrl(url);
        if (configure is not null)
        {
            settings.ClusterConfigurator = configure;
        }
        if (!uri.Contains("serverSelectionTimeoutMS=", StringComparison.OrdinalIgnoreCase))
        {
            settings.ServerSelectionTimeout = DefaultServerSelectionTimeout;
        }
        if (ioTimeout is { } io && !uri.Contains("socketTimeoutMS=", StringComparison.OrdinalIgnoreCase))
        {
            // The driver's default waits for ever: a connection that went half-open would hang the range's reader.
            settings.SocketTimeout = io;
        }
        var client = new MongoClient(settings);
        try
        {
            client.GetDatabase(database).RunCommand(new BsonDocumentCommand<BsonDocument>(new BsonDocument("ping", 1)), cancellationToken: cancel);
            return client;
        }
        catch (Exception e) when (!cancel.IsCancellationRequested && MongoRetry.IsDriverFault(e))
        {
            client.Dispose();
            throw new SourceException($"could not connect to MongoDB at {hosts}: {MongoErrors.Brief(e, url.Password)}",
                "check the host, port and credentials in --from, and that the server is reachable", connection: true);
        }
    }

    public Chunk? Next(CancellationToken cancel)
    {
        if (_queue is null)
        {
            Start(Planned);
        }
        ThrowIfFailed();
        Chunk? chunk;
        try
        {
            using var either = CancellationTokenSource.CreateLinkedTokenSource(cancel, _stop.Token);
            if (!_queue!.TryTake(out chunk, Timeout.Infinite, either.Token))
            {
                ThrowIfFailed();
                return null;
            }
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            ThrowIfFailed();
            throw;
        }
        Interlocked.Add(ref _position, chunk.Length);
        return chunk;
    }

    private void ThrowIfFailed()
    {
        if (_failure.First is { } f)
        {
            throw f;
        }
    }

    private void ReadRanges(MongoRangeReader reader)
    {
        try
        {
            // Any failure of a reader thread must reach Next(), not kill the process.
            _failure.Guard(() =>
            {
                int r;
                while (!_stop.IsCancellationRequested && (r = Interlocked.Increment(ref _nextRange)) < _ranges.Count)
                {
                    MongoRange range = _ranges[r];
                    reader.Read(range, _starts.GetValueOrDefault(range.Number, RangeStart.Beginning), _stop.Token);
                }
            });
        }
        finally
        {
            reader.Dispose();
            if (Interlocked.Decrement(ref _running) == 0)
            {
                _queue!.CompleteAdding();
            }
        }
    }

    /// <summary>Called by a reader with a full (or a range's last) chunk; blocks while the queue is full.</summary>
    internal void Enqueue(NativeBlock block, int length, long index, int documents, byte[]? lastId, CancellationToken cancel)
    {
        var chunk = new Chunk(block, Blocks, length, Interlocked.Add(ref _cut, length) - length, index, documents, lastId);
        try
        {
            _queue!.Add(chunk, cancel);
        }
        catch (OperationCanceledException)
        {
            chunk.Release();
            throw;
        }
    }

    internal void Note(string message)
    {
        Interlocked.Increment(ref _reopened);
        Report(message);
    }

    /// <summary>Reports a message now, or keeps it until <see cref="Log"/> is set.</summary>
    private void Report(string message)
    {
        lock (_notes)
        {
            if (_log is { } log)
            {
                log($"{DisplayName}: {message}");
            }
            else
            {
                _notes.Enqueue($"{DisplayName}: {message}");
            }
        }
    }

    private static string Redact(string message, string uri)
    {
        try
        {
            string? password = MongoUrl.Create(uri).Password;
            return string.IsNullOrEmpty(password) ? message : message.Replace(password, "********", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is MongoConfigurationException or ArgumentException or FormatException)
        {
            int at = uri.LastIndexOf('@');
            return at < 0 ? message : message.Replace(uri[..at], "mongodb://********", StringComparison.Ordinal);
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _stop.Cancel();
        bool stopped = true;
        foreach (Thread t in _threads)
        {
            stopped &= t.Join(TimeSpan.FromSeconds(30));
        }
        while (_queue?.TryTake(out Chunk? left) == true)
        {
            left.Release();
        }
        _client.Dispose();
        Blocks.Dispose(); // blocks of chunks still in flight are freed when they are released
        if (stopped)
        {
            // A reader still stuck in the driver would touch these; leave them to the finalizer then.
            _queue?.Dispose();
            _stop.Dispose();
        }
    }
}
