using EtlFast.WireServer.Query;

namespace EtlFast.WireServer;

/// <summary>
/// An open cursor: the result set is fixed when the query runs (a snapshot), then handed out in
/// batches. Batches stop at the requested count or at 16 MiB of documents, whichever comes first.
/// </summary>
internal sealed class ServerCursor : OpenCursor
{
    /// <summary>mongod's cap on the documents of one batch (BSONObjMaxUserSize).</summary>
    public const int MaxBatchBytes = 16 * 1024 * 1024;

    /// <summary>The first batch of find and aggregate holds 101 documents unless batchSize says otherwise.</summary>
    public const int DefaultFirstBatch = 101;

    private readonly List<DocView> results;
    private readonly Projection projection;
    private int position;

    public ServerCursor(long id, string ns, List<DocView> results, Projection projection, bool countsForFaults)
        : base(id, ns, countsForFaults)
    {
        this.results = results;
        this.projection = projection;
    }

    public bool Exhausted => position >= results.Count;

    public Lock Gate { get; } = new();

    /// <param name="maxCount">null = no count limit (only the 16 MiB cap); 0 = an empty batch.</param>
    public List<byte[]> NextBatch(int? maxCount)
    {
        var batch = new List<byte[]>();
        long bytes = 0;
        while (position < results.Count && (maxCount is null || batch.Count < maxCount))
        {
            var doc = projection.Apply(results[position]).ToBytes();
            if (batch.Count > 0 && bytes + doc.Length > MaxBatchBytes)
            {
                break;
            }
            batch.Add(doc);
            bytes += doc.Length;
            position++;
        }
        NoteBatchSent();
        return batch;
    }
}

/// <summary>What every open cursor has: an id, the namespace getMore must name, and a count of batches sent.</summary>
internal abstract class OpenCursor(long id, string ns, bool countsForFaults)
{
    public long Id { get; } = id;

    public string Namespace { get; } = ns;

    /// <summary>Query cursors (find, aggregate, change streams) are what batch-count faults watch; catalog cursors are not.</summary>
    public bool CountsForFaults { get; } = countsForFaults;

    /// <summary>Batches handed out so far (the first batch included), for per-cursor fault injection.</summary>
    public int BatchesSent { get; private set; }

    protected void NoteBatchSent() => BatchesSent++;
}
