using MongoDB.Bson;

namespace EtlFast.WireServer.Storage;

/// <summary>One write, as the change streams see it. Inserts and replaces carry the document as written.</summary>
internal sealed record OplogEntry(
    long Seq, BsonTimestamp ClusterTime, DateTime WallTime, string Database, string? Collection, string OperationType,
    BsonValue? DocumentKey, byte[]? FullDocument, BsonDocument? UpdateDescription);

/// <summary>
/// The server's own log of writes (insert, update, replace, delete, drop, dropDatabase), in the order they
/// were made, with a cluster time each. It is capped like a real oplog: past <see cref="Capacity"/> entries
/// the oldest fall off, and a change stream positioned before them has lost its history (code 286).
/// Every change to the store and its entry happen under <see cref="WriteGate"/>, so the log's order is the
/// store's order.
/// </summary>
internal sealed class Oplog
{
    private readonly Lock gate = new();
    private readonly LinkedList<OplogEntry> entries = new();
    private TaskCompletionSource appended = NewSignal();
    private long lastSeq;
    private long firstRetained = 1;
    private uint lastSeconds;
    private uint increment;
    private int capacity = 1_000_000;

    /// <summary>Held by every write for the store change and its entry together.</summary>
    public Lock WriteGate { get; } = new();

    public int Capacity
    {
        get
        {
            lock (gate)
            {
                return capacity;
            }
        }

        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            lock (gate)
            {
                capacity = value;
                Trim();
            }
        }
    }

    /// <summary>The sequence number of the last entry (0 before any).</summary>
    public long LastSeq
    {
        get
        {
            lock (gate)
            {
                return lastSeq;
            }
        }
    }

    /// <summary>The cluster time a reply reports: the last write's, or now when nothing was written yet.</summary>
    public BsonTimestamp ClusterTime
    {
        get
        {
            lock (gate)
            {
                return entries.Last?.Value.ClusterTime ?? new BsonTimestamp((int)DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 0);
            }
        }
    }

    public void Append(string database, string? collection, string operationType, BsonValue? documentKey, byte[]? fullDocument = null, BsonDocument? updateDescription = null)
    {
        TaskCompletionSource wake;
        lock (gate)
        {
            var now = DateTime.UtcNow;
            uint seconds = (uint)new DateTimeOffset(now).ToUnixTimeSeconds();
            if (seconds > lastSeconds)
            {
                lastSeconds = seconds;
                increment = 0;
            }
            increment++;
            lastSeq++;
            entries.AddLast(new OplogEntry(lastSeq, new BsonTimestamp((int)lastSeconds, (int)increment), now, database, collection, operationType,
                documentKey, fullDocument, updateDescription));
            Trim();
            wake = appended;
            appended = NewSignal();
        }
        wake.TrySetResult();
    }

    /// <summary>
    /// Up to <paramref name="max"/> entries after <paramref name="position"/> that <paramref name="match"/>
    /// admits, and the position the read reached (the last returned entry's when the batch is full, else
    /// the log's end). Null when entries after the position have already fallen off.
    /// </summary>
    public (List<OplogEntry> Entries, long ReachedSeq)? Read(long position, int max, Func<OplogEntry, bool> match)
    {
        lock (gate)
        {
            if (position < firstRetained - 1)
            {
                return null;
            }
            var found = new List<OplogEntry>();
            for (var node = entries.First; node is not null; node = node.Next)
            {
                OplogEntry e = node.Value;
                if (e.Seq <= position || !match(e))
                {
                    continue;
                }
                found.Add(e);
                if (found.Count == max)
                {
                    return (found, e.Seq);
                }
            }
            return (found, lastSeq);
        }
    }

    /// <summary>The position just before the first entry at or after <paramref name="time"/> (startAtOperationTime); null when that history is gone.</summary>
    public long? PositionAt(BsonTimestamp time)
    {
        lock (gate)
        {
            long position = lastSeq;
            for (var node = entries.Last; node is not null && node.Value.ClusterTime.CompareTo(time) >= 0; node = node.Previous)
            {
                position = node.Value.Seq - 1;
            }
            return position < firstRetained - 1 ? null : position;
        }
    }

    /// <summary>Completes when an entry is appended after <paramref name="position"/>, or when <paramref name="wait"/> of <paramref name="time"/> has passed.</summary>
    public async Task WaitAsync(long position, TimeSpan wait, TimeProvider time, CancellationToken cancellation)
    {
        Task signal;
        lock (gate)
        {
            if (lastSeq > position)
            {
                return;
            }
            signal = appended.Task;
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        Task delay = Task.Delay(wait, time, timeout.Token);
        await Task.WhenAny(signal, delay).ConfigureAwait(false);
        await timeout.CancelAsync().ConfigureAwait(false);
        cancellation.ThrowIfCancellationRequested();
    }

    private void Trim()
    {
        while (entries.Count > capacity)
        {
            entries.RemoveFirst();
            firstRetained = entries.First!.Value.Seq;
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
