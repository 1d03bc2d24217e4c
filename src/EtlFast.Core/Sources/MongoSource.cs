using EtlFast.PgCopy;
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
    private readonly IReadOnlyList<MongoRange> _ranges;
    private readonly BlockingCollection<Chunk> _queue;
    private readonly CancellationTokenSource _stop;
    private readonly Thread[] _threads;
    private int _nextRange = -1;
    private int _running;
    private long _cut;
    private long _position;
    private long _reopened;
    private Exception? _failure;
    private bool _disposed;
    private Action<string>? _log;
    private IReadOnlyList<string> _planNotes = [];

    private MongoSource(MongoClient client, IMongoCollection<RawBsonDocument> collection, IReadOnlyList<MongoRange> ranges, MongoRetry retry,
        string displayName, BsonDocument? filter, int? batchSize, int chunkBytes, int readers, CancellationToken cancel)
    {
        _client = client;
        _ranges = ranges;
        DisplayName = displayName;
        UserFilter = filter;
        BatchSize = batchSize;
        ChunkBytes = chunkBytes;
        Blocks = new ChunkBlockPool(chunkBytes + (chunkBytes / 4));
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        _queue = new BlockingCollection<Chunk>(new ConcurrentQueue<Chunk>(), readers + 1);
        _threads = new Thread[readers];
        _running = readers;
        for (int i = 0; i < readers; i++)
        {
            var reader = new MongoRangeReader(this, collection, retry);
            _threads[i] = new Thread(() => ReadRanges(reader)) { Name = $"etlfast-mongo-reader-{i}", IsBackground = true };
        }
        foreach (Thread t in _threads)
        {
            t.Start();
        }
        if (readers == 0)
        {
            _queue.CompleteAdding(); // an empty or missing collection
        }
    }

    public string DisplayName { get; }

    /// <summary>Bytes of BSON handed out by <see cref="Next"/> so far.</summary>
    public long Position => Interlocked.Read(ref _position);

    /// <summary>How many <c>_id</c> ranges the collection was cut into.</summary>
    public int Ranges => _ranges.Count;

    /// <summary>How many threads read ranges (at most one per range).</summary>
    public int Readers => _threads.Length;

    /// <summary>How many times a range was reopened after a fault.</summary>
    public long Reopened => Interlocked.Read(ref _reopened);

    /// <summary>
    /// Messages about the plan (a stage the server lacks, ranges that did not add up: given once, when
    /// this is set) and faults the source outlived (a reopened range); null: none are reported.
    /// </summary>
    public Action<string>? Log
    {
        get => _log;
        set
        {
            _log = value;
            if (value is not null)
            {
                foreach (string note in Interlocked.Exchange(ref _planNotes, []))
                {
                    value($"{DisplayName}: {note}");
                }
            }
        }
    }

    internal BsonDocument? UserFilter { get; }

    internal int? BatchSize { get; }

    internal int ChunkBytes { get; }

    /// <summary>The unmanaged buffers readers pack chunks into, reused as workers release them.</summary>
    internal ChunkBlockPool Blocks { get; }

    public static bool IsMongoUri(string from) =>
        from.StartsWith("mongodb://", StringComparison.Ordinal) || from.StartsWith("mongodb+srv://", StringComparison.Ordinal);

    /// <summary>
    /// Connects, cuts the collection into <c>_id</c> ranges and starts <paramref name="readers"/> reader
    /// threads (null: one per core, as <c>-j</c>'s default). Throws <see cref="SourceException"/> naming the
    /// hosts, never the password: with <c>connection: true</c> when the server cannot be reached.
    /// </summary>
    /// <param name="partition">With <c>--partition</c>: only the ranges this partition owns are read (every partition plans the same ranges).</param>
    public static MongoSource Open(string uri, string database, string collection, BsonDocument? filter, int? batchSize, int chunkBytes,
        CancellationToken cancel, int? readers = null, Load.Partition? partition = null)
    {
        MongoUrl url = ParseUrl(uri);
        string hosts = string.Join(",", url.Servers.Select(s => s.ToString()));
        string display = Display(url, database, collection);
        var retry = new MongoRetry(display, url.Password);
        MongoClient client = Connect(url, uri, hosts, database, cancel);
        try
        {
            IMongoDatabase db = client.GetDatabase(database);
            var planner = new MongoRangePlanner(db.GetCollection<BsonDocument>(collection), retry);
            MongoRangePlan plan = planner.Plan(cancel);
            List<MongoRange> ranges = plan.Ranges;
            if (partition is { IsWhole: false } part)
            {
                ranges = [.. ranges.Where(r => part.OwnsRange(r.Number))];
            }
            int n = ranges.Count == 0 ? 0 : Math.Clamp(readers ?? Environment.ProcessorCount, 1, ranges.Count);
            return new MongoSource(client, db.GetCollection<RawBsonDocument>(collection), ranges, retry, display, filter, batchSize, chunkBytes, n, cancel)
            {
                _planNotes = plan.Notes,
            };
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
    internal static (MongoClient Client, string Hosts, string? Password) ConnectClient(string uri, string database, CancellationToken cancel)
    {
        MongoUrl url = ParseUrl(uri);
        string hosts = string.Join(",", url.Servers.Select(s => s.ToString()));
        return (Connect(url, uri, hosts, database, cancel), hosts, url.Password);
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
    private static MongoClient Connect(MongoUrl url, string uri, string hosts, string database, CancellationToken cancel)
    {
        MongoClientSettings settings = MongoClientSettings.FromUrl(url);
        if (!uri.Contains("serverSelectionTimeoutMS=", StringComparison.OrdinalIgnoreCase))
        {
            settings.ServerSelectionTimeout = DefaultServerSelectionTimeout;
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
        ThrowIfFailed();
        Chunk? chunk;
        try
        {
            using var either = CancellationTokenSource.CreateLinkedTokenSource(cancel, _stop.Token);
            if (!_queue.TryTake(out chunk, Timeout.Infinite, either.Token))
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
        if (Volatile.Read(ref _failure) is { } f)
        {
            throw f;
        }
    }

    private void ReadRanges(MongoRangeReader reader)
    {
        try
        {
            int r;
            while (!_stop.IsCancellationRequested && (r = Interlocked.Increment(ref _nextRange)) < _ranges.Count)
            {
                reader.Read(_ranges[r], _stop.Token);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // any failure of a reader thread must reach Next(), not kill the process
        catch (Exception e)
#pragma warning restore CA1031
        {
            Interlocked.CompareExchange(ref _failure, e, null);
            _stop.Cancel();
        }
        finally
        {
            reader.Dispose();
            if (Interlocked.Decrement(ref _running) == 0)
            {
                _queue.CompleteAdding();
            }
        }
    }

    /// <summary>Called by a reader with a full (or a range's last) chunk; blocks while the queue is full.</summary>
    internal void Enqueue(NativeBlock block, int length, long index, int documents, CancellationToken cancel)
    {
        var chunk = new Chunk(block, Blocks, length, Interlocked.Add(ref _cut, length) - length, index, documents);
        try
        {
            _queue.Add(chunk, cancel);
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
        _log?.Invoke($"{DisplayName}: {message}");
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
        while (_queue.TryTake(out Chunk? left))
        {
            left.Release();
        }
        _client.Dispose();
        Blocks.Dispose(); // blocks of chunks still in flight are freed when they are released
        if (stopped)
        {
            // A reader still stuck in the driver would touch these; leave them to the finalizer then.
            _queue.Dispose();
            _stop.Dispose();
        }
    }
}
