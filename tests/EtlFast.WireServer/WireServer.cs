using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using EtlFast.WireServer.Storage;
using MongoDB.Bson;

namespace EtlFast.WireServer;

/// <summary>
/// An in-process MongoDB wire-protocol server for tests: listens on 127.0.0.1, answers what the
/// official drivers send for connect, find/getMore, count, aggregate (chunk planning stages),
/// insert, update, delete, change streams and the catalog commands, from in-memory collections kept in `_id` order. Everything else
/// is refused with code 115 and a message naming it. Faults can be injected while it runs.
/// </summary>
public sealed class WireServer : IAsyncDisposable
{
    private const int CommandLogCapacity = 10_000;

    private readonly TcpListener listener;
    private readonly CancellationTokenSource stopping = new();
    private readonly ConcurrentDictionary<int, (Connection Connection, Task Task)> connections = new();
    private readonly ConcurrentQueue<ReceivedCommand> commandLog = new();
    private readonly Task acceptLoop;
    private int nextConnectionId;
    private int connectionsAccepted;
    private long batchesSent;
    private int disposed;
    private int heldReplies;

    /// <summary>Starts listening on a free port of 127.0.0.1.</summary>
    public WireServer()
        : this(0)
    {
    }

    /// <summary>Starts listening on 127.0.0.1:<paramref name="port"/> (0 = a free port).</summary>
    public WireServer(int port)
        : this(port, null)
    {
    }

    /// <summary>
    /// Starts listening on 127.0.0.1:<paramref name="port"/> (0 = a free port), with <paramref name="time"/>
    /// (null: the system's) timing every reply it holds: a test's fake clock then decides when they go.
    /// </summary>
    public WireServer(int port, TimeProvider? time)
    {
        Time = time ?? TimeProvider.System;
        listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public int Port { get; }

    /// <summary>The clock of held replies (a streaming hello's maxAwaitTimeMS, <see cref="WireFaults.ReplyDelay"/>).</summary>
    public TimeProvider Time { get; }

    /// <summary>Replies waiting on <see cref="Time"/> right now.</summary>
    public int HeldReplies => Volatile.Read(ref heldReplies);

    /// <summary>mongodb://127.0.0.1:PORT/?directConnection=true (streaming monitoring works; Poll is not needed).</summary>
    public string ConnectionString => $"mongodb://127.0.0.1:{Port}/?directConnection=true";

    public WireFaults Faults { get; } = new();

    /// <summary>
    /// When set, the one user SASL PLAIN accepts (the driver's authMechanism=PLAIN&amp;authSource=$external,
    /// which sends the password itself, so a test can see a password reach the server); a wrong one
    /// is refused with code 18, AuthenticationFailed. SCRAM stays unsupported.
    /// </summary>
    public (string User, string Password)? PlainUser { get; set; }

    /// <summary>
    /// Called with each command before it runs, on the connection's thread: a test changes the data at
    /// a chosen point of a client's conversation (say, between a count and the queries after it).
    /// </summary>
    public Action<ReceivedCommand>? OnCommand { get; set; }

    /// <summary>Diagnostics (connection closes, internal errors); null = silent.</summary>
    public Action<string>? Log { get; set; }

    /// <summary>Connections accepted so far (refused ones included).</summary>
    public int ConnectionsAccepted => Volatile.Read(ref connectionsAccepted);

    public int OpenConnections => connections.Count;

    /// <summary>Cursors still open (neither exhausted nor killed).</summary>
    public int OpenCursors => Cursors.Count;

    /// <summary>find/getMore/aggregate batches sent so far.</summary>
    public long BatchesSent => Interlocked.Read(ref batchesSent);

    internal Store Store { get; } = new();

    /// <summary>The writes that clients made (insert, update, delete, drop), which change streams read.</summary>
    internal Oplog Oplog { get; } = new();

    /// <summary>
    /// How many writes the oplog keeps (default 1,000,000); older ones fall off, and a change stream
    /// resuming before them is refused with code 286, ChangeStreamHistoryLost. Documents a test adds with
    /// <see cref="AddDocuments"/> or <see cref="LoadBsonFile"/> are seeded data, not writes: they are not logged.
    /// </summary>
    public int OplogCapacity
    {
        get => Oplog.Capacity;
        set => Oplog.Capacity = value;
    }

    internal CursorTable Cursors { get; } = new();

    /// <summary>The processId of the topologyVersion every hello reports.</summary>
    internal ObjectId ProcessId { get; } = ObjectId.GenerateNewId();

    internal Random Random { get; private set; } = new();

    /// <summary>Makes $sample repeatable.</summary>
    public void SetRandomSeed(int seed) => Random = new Random(seed);

    /// <summary>The last commands received (up to 10,000), oldest first.</summary>
    public IReadOnlyList<ReceivedCommand> ReceivedCommands() => [.. commandLog];

    public void ClearReceivedCommands() => commandLog.Clear();

    /// <summary>Adds documents (an ObjectId `_id` is added where missing). Throws on a duplicate `_id`.</summary>
    public void AddDocuments(string database, string collection, IEnumerable<BsonDocument> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var batch = new List<StoredDocument>();
        foreach (var d in documents)
        {
            batch.Add(StoredDocument.FromDocument(d));
        }
        Store.GetOrCreate(database, collection).AddRange(batch);
    }

    /// <summary>Loads a mongodump .bson file (documents back to back); returns how many were read.</summary>
    public int LoadBsonFile(string database, string collection, string path)
    {
        var bytes = File.ReadAllBytes(path);
        var batch = new List<StoredDocument>();
        int pos = 0;
        while (pos < bytes.Length)
        {
            if (bytes.Length - pos < 5)
            {
                throw new InvalidDataException($"{path}: {bytes.Length - pos} trailing bytes at offset {pos} are not a BSON document");
            }
            int size = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(pos));
            if (size < 5 || size > bytes.Length - pos || bytes[pos + size - 1] != 0)
            {
                throw new InvalidDataException($"{path}: bad BSON document length {size} at offset {pos}");
            }
            batch.Add(StoredDocument.FromBytes(bytes.AsSpan(pos, size).ToArray()));
            pos += size;
        }
        Store.GetOrCreate(database, collection).AddRange(batch);
        return batch.Count;
    }

    /// <summary>A collection's documents in `_id` order (empty when it does not exist).</summary>
    public IReadOnlyList<BsonDocument> GetDocuments(string database, string collection)
    {
        var result = new List<BsonDocument>();
        foreach (var d in Store.Find(database, collection)?.All() ?? [])
        {
            result.Add(BsonDocumentBytes.Parse(d.Bytes));
        }
        return result;
    }

    public int CountDocuments(string database, string collection) => Store.Find(database, collection)?.Count ?? 0;

    /// <summary>Holds a reply for <paramref name="delay"/> of <see cref="Time"/>, counted in <see cref="HeldReplies"/>.</summary>
    internal async Task HoldReplyAsync(TimeSpan delay, CancellationToken cancellation)
    {
        // The timer is armed before the reply counts as held: a test that sees it held and moves the
        // fake clock must move a clock the timer already watches, or the reply is never released.
        var released = Task.Delay(delay, Time, cancellation);
        Interlocked.Increment(ref heldReplies);
        try
        {
            await released.ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref heldReplies);
        }
    }

    internal void Record(ReceivedCommand command)
    {
        commandLog.Enqueue(command);
        OnCommand?.Invoke(command);
        while (commandLog.Count > CommandLogCapacity && commandLog.TryDequeue(out _))
        {
        }
    }

    internal void NoteBatch(bool countsForFaults)
    {
        if (countsForFaults)
        {
            Interlocked.Increment(ref batchesSent);
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptSocketAsync(stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            Interlocked.Increment(ref connectionsAccepted);
            if (Faults.RefuseConnections)
            {
                Log?.Invoke("refusing a new connection (fault injection)");
                socket.Close();
                continue;
            }
            socket.NoDelay = true;
            int id = Interlocked.Increment(ref nextConnectionId);
            var connection = new Connection(this, socket, id);
            var task = Task.Run(async () =>
            {
                try
                {
                    await connection.RunAsync(stopping.Token).ConfigureAwait(false);
                }
                finally
                {
                    connections.TryRemove(id, out _);
                }
            });
            connections[id] = (connection, task);
        }
    }

    /// <summary>Stops listening, closes every connection (held hellos included) and waits for them.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }
        await stopping.CancelAsync().ConfigureAwait(false);
        listener.Stop();
        var tasks = new List<Task> { acceptLoop };
        foreach (var (connection, task) in connections.Values)
        {
            connection.Close();
            tasks.Add(task);
        }
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        stopping.Dispose();
    }
}
