namespace EtlFast.Core.Load;

public sealed class TableSummary
{
    public required string Name { get; init; }
    public long Rows { get; set; }
    /// <summary>Bytes of binary COPY data sent.</summary>
    public long Bytes { get; set; }
    /// <summary>Seconds spent in this table's COPY statements, summed over the workers.</summary>
    public double CopySeconds { get; set; }
}

public sealed class LoadSummary
{
    public required IReadOnlyList<TableSummary> Tables { get; init; }
    public long Documents { get; set; }
    public long Rejected { get; set; }
    public long Chunks { get; set; }
    /// <summary>--resume found the load already finished: nothing was read or written.</summary>
    public bool AlreadyFinished { get; set; }
    /// <summary>Chunks skipped because the resumed run had committed them.</summary>
    public long SkippedChunks { get; set; }
    /// <summary>Where rejected documents were written, when there were any.</summary>
    public string? RejectFile { get; set; }
    public long BsonBytes { get; set; }
    public double Seconds { get; set; }
    public double LoadSeconds { get; set; }
    public double ConstraintSeconds { get; set; }
    public double CpuSeconds { get; set; }
    public long PeakRssBytes { get; set; }
    public long AllocatedBytes { get; set; }
    public int Gen0 { get; set; }
    public int Gen1 { get; set; }
    public int Gen2 { get; set; }

    public long Rows => Tables.Sum(t => t.Rows);
}

/// <summary>Hears about progress; called from worker threads, once per committed chunk.</summary>
public interface ILoadObserver
{
    /// <summary>A chunk committed: its documents, rows, BSON bytes, and rows per table (in plan order; valid during the call only).</summary>
    void ChunkCommitted(long documents, long rows, long bsonBytes, ReadOnlySpan<long> tableRows);

    void Phase(string what);

    /// <summary>The source is open and loading starts; <paramref name="meter"/> tells how far it has read, when that is knowable.</summary>
    void SourceOpened(string displayName, Sources.ReadMeter? meter)
    {
    }
}
