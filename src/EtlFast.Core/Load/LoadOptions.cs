namespace EtlFast.Core.Load;

/// <summary>What to do with the target tables before loading (pg_restore's vocabulary).</summary>
public enum LoadMode
{
    /// <summary>Create the tables; refuse if any exists.</summary>
    Create,
    /// <summary>Drop the tables if they exist, then create them.</summary>
    Clean,
    /// <summary>Empty existing tables (TRUNCATE), keep their definition and constraints.</summary>
    Truncate,
    /// <summary>Add rows to existing tables.</summary>
    Append,
}

/// <summary>When keys, foreign keys and indexes are built.</summary>
public enum ConstraintTiming
{
    /// <summary>After the data is in, in parallel, as pg_restore does: much faster ingest.</summary>
    After,
    /// <summary>With the tables: every row is checked as it arrives.</summary>
    Before,
}

/// <summary>What a document that cannot be converted does to the load.</summary>
public enum ErrorAction
{
    /// <summary>Stop the load: the chunk holding the document rolls back, committed chunks stay.</summary>
    Stop,
    /// <summary>Write the document to the reject file and go on.</summary>
    Reject,
}

public sealed record LoadOptions
{
    public required string From { get; init; }
    public required PgTarget Target { get; init; }
    public int Jobs { get; init; } = Environment.ProcessorCount;
    public LoadMode Mode { get; init; } = LoadMode.Create;
    public ConstraintTiming Constraints { get; init; } = ConstraintTiming.After;
    /// <summary>Target size of a chunk of BSON: the unit of work and of commit.</summary>
    public int ChunkBytes { get; init; } = 4 * 1024 * 1024;
    public Func<Stream> OpenStdin { get; init; } = Console.OpenStandardInput;

    /// <summary>
    /// Benchmarking aid: read, walk and encode everything, but send nothing to PostgreSQL (no tables
    /// are touched; a connection is still opened to check the target).
    /// </summary>
    public bool NullSink { get; init; }

    /// <summary>This process's share of a load split among several (<c>--partition I/N</c>); by default the whole load.</summary>
    public Partition Partition { get; init; } = Partition.Whole;

    /// <summary>Continue the unfinished run of the same source, mapping, schema and chunk size.</summary>
    public bool Resume { get; init; }

    public ErrorAction OnError { get; init; } = ErrorAction.Stop;

    /// <summary>Where rejected documents go (BSON plus a readable log); default: the current directory.</summary>
    public string RejectDir { get; init; } = ".";

    /// <summary>With <see cref="ErrorAction.Reject"/>: stop once more than this many documents were rejected.</summary>
    public long MaxRejects { get; init; } = long.MaxValue;

    /// <summary>The mapping file's bytes (part of the run identity).</summary>
    public byte[] MappingText { get; init; } = [];

    /// <summary>Live source: database, overriding the mapping's.</summary>
    public string? Database { get; init; }

    /// <summary>Live source: collection, overriding the mapping's.</summary>
    public string? Collection { get; init; }

    /// <summary>Live source: a filter in Extended JSON.</summary>
    public string? Query { get; init; }

    /// <summary>Live source: documents per cursor batch (default: the server's).</summary>
    public int? BatchSize { get; init; }

    /// <summary>The default of <see cref="IoTimeout"/>: far above any wait of a healthy chunk commit or batch.</summary>
    public static readonly TimeSpan DefaultIoTimeout = TimeSpan.FromSeconds(300);

    /// <summary>
    /// How long a chunk's statements on PostgreSQL (COPY, checkpoint, commit) and a read from MongoDB
    /// may wait with no byte moving before the connection counts as stuck (<c>--io-timeout</c>). It is
    /// a wait for one read or write, not a limit on a whole COPY; key and index builds have none.
    /// </summary>
    public TimeSpan IoTimeout { get; init; } = DefaultIoTimeout;

    /// <summary>
    /// Part of a whole-database run: after the data, the keys and the run's end wait for
    /// <see cref="Loader.FinishDeferred"/>, so that every collection's data is in before any key is built
    /// (and a foreign key to another collection's table finds its key there).
    /// </summary>
    public bool DeferKeys { get; init; }
}
