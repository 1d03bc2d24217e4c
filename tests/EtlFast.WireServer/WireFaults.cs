namespace EtlFast.WireServer;

/// <summary>Whether a batch count runs across the whole server or per cursor.</summary>
public enum FaultScope
{
    /// <summary>Batches counted across all cursors from the moment the fault is set; fires once.</summary>
    Server,

    /// <summary>Batches counted per cursor; fires for every cursor that reaches the count, until cleared.</summary>
    Cursor,
}

/// <summary>
/// Faults a test can inject while the server runs. "Batch" means a find or getMore reply that carries
/// a cursor batch (aggregate cursors count too).
/// </summary>
public sealed class WireFaults
{
    private readonly Lock gate = new();
    private long replyDelayTicks;
    private volatile bool refuseConnections;

    private int dropAfterBatches = -1;
    private FaultScope dropScope;
    private long serverBatches;

    private int failGetMoreAt;
    private int getMoresSeen;
    private CommandException? getMoreFailure;

    private int connectionsDropped;
    private int getMoresFailed;

    /// <summary>Every reply (hello included) waits this long before it is written.</summary>
    public TimeSpan ReplyDelay
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref replyDelayTicks));
        set => Interlocked.Exchange(ref replyDelayTicks, value.Ticks);
    }

    /// <summary>New connections are accepted and closed at once; open ones keep working.</summary>
    public bool RefuseConnections
    {
        get => refuseConnections;
        set => refuseConnections = value;
    }

    /// <summary>How many connections a drop fault has closed so far.</summary>
    public int ConnectionsDropped => Volatile.Read(ref connectionsDropped);

    /// <summary>How many getMores an injected failure has answered so far.</summary>
    public int GetMoresFailed => Volatile.Read(ref getMoresFailed);

    /// <summary>
    /// After <paramref name="batches"/> batches have been sent (server-wide from now, or per cursor), the
    /// request that would get the next batch is answered by closing its connection instead; server-wide,
    /// the first getMore at or after the count (a first find is retried by the driver on its own).
    /// </summary>
    public void DropConnectionAfterBatches(int batches, FaultScope scope = FaultScope.Server)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batches);
        lock (gate)
        {
            dropAfterBatches = batches;
            dropScope = scope;
            serverBatches = 0;
        }
    }

    /// <summary>
    /// The <paramref name="nth"/> getMore from now (1 = the next one) gets an error reply, with
    /// <paramref name="labels"/> as its errorLabels (ResumableChangeStreamError makes a change stream resume); fires once.
    /// </summary>
    public void FailGetMore(int nth = 1, int code = 1, string codeName = "InternalError", string? message = null, string[]? labels = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nth, 1);
        lock (gate)
        {
            failGetMoreAt = nth;
            getMoresSeen = 0;
            getMoreFailure = new CommandException(code, codeName, message ?? $"wire test server: injected failure of getMore #{nth}") { ErrorLabels = labels ?? [] };
        }
    }

    /// <summary>Removes every fault (the counters stay).</summary>
    public void Clear()
    {
        lock (gate)
        {
            dropAfterBatches = -1;
            failGetMoreAt = 0;
            getMoreFailure = null;
        }
        ReplyDelay = TimeSpan.Zero;
        RefuseConnections = false;
    }

    /// <summary>Called before a batch is produced; true means drop the connection instead.</summary>
    internal bool ShouldDropBeforeBatch(int cursorBatchesSent)
    {
        lock (gate)
        {
            if (dropAfterBatches < 0)
            {
                return false;
            }
            // Server-wide, only a getMore is dropped (a cursor's later batch): the driver retries a first
            // find by itself once, so which of the two the count lands on would decide what a test sees.
            bool drop = dropScope == FaultScope.Server
                ? serverBatches >= dropAfterBatches && cursorBatchesSent > 0
                : cursorBatchesSent >= dropAfterBatches;
            if (drop)
            {
                connectionsDropped++;
                if (dropScope == FaultScope.Server)
                {
                    dropAfterBatches = -1;
                }
            }
            else
            {
                serverBatches++;
            }
            return drop;
        }
    }

    /// <summary>Called for each getMore; returns the failure to answer with, if this is the one.</summary>
    internal CommandException? TakeGetMoreFailure()
    {
        lock (gate)
        {
            if (getMoreFailure is null)
            {
                return null;
            }
            getMoresSeen++;
            if (getMoresSeen < failGetMoreAt)
            {
                return null;
            }
            var failure = getMoreFailure;
            getMoreFailure = null;
            getMoresFailed++;
            return failure;
        }
    }
}
