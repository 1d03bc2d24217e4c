namespace EtlFast.WireServer;

/// <summary>
/// A collection's change stream: a tailable, awaitData cursor over the oplog. <see cref="Position"/> is the
/// sequence number of the last entry the stream has passed (returned, or skipped as another collection's).
/// </summary>
internal sealed class ChangeStreamCursor(long id, string database, string collection, long position, bool updateLookup)
    : OpenCursor(id, database + "." + collection, countsForFaults: true)
{
    public string Database { get; } = database;

    public string Collection { get; } = collection;

    /// <summary>fullDocument: updateLookup: an update event carries the document as it is when the event is read.</summary>
    public bool UpdateLookup { get; } = updateLookup;

    public long Position { get; set; } = position;

    /// <summary>One getMore at a time, as mongod allows.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    public void NoteBatch() => NoteBatchSent();
}
