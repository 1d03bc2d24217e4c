using EtlFast.Core.Load;
using EtlFast.Core.Sources;
using MongoDB.Bson;
using MongoDB.Driver;

namespace EtlFast.Core.Sync;

/// <summary>
/// Reads a collection's change stream (the official driver's <c>Watch</c>, which resumes by itself
/// after a resumable error) a batch at a time into a <see cref="ChangeBatch"/>: the post-image of each
/// inserted, replaced or updated document (fullDocument: updateLookup), or its deletion. A drop, rename
/// or invalidate ends the batch before it and is reported: the tables can no longer follow.
/// </summary>
public sealed class ChangeStreamReader : IDisposable
{
    private readonly IChangeStreamCursor<ChangeStreamDocument<RawBsonDocument>> _cursor;
    private readonly string _display;
    private readonly string? _password;
    private IEnumerator<ChangeStreamDocument<RawBsonDocument>>? _pending;

    private ChangeStreamReader(IChangeStreamCursor<ChangeStreamDocument<RawBsonDocument>> cursor, string display, string? password)
    {
        _cursor = cursor;
        _display = display;
        _password = password;
    }

    /// <summary>
    /// Opens the stream after <paramref name="resumeAfter"/> (a stored resume token's BSON), or at the
    /// present when null. <paramref name="maxAwait"/> bounds how long one batch waits for a change.
    /// </summary>
    public static ChangeStreamReader Open(IMongoCollection<RawBsonDocument> collection, string display, string? password, byte[]? resumeAfter,
        TimeSpan maxAwait, int batchSize, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(collection);
        var options = new ChangeStreamOptions
        {
            FullDocument = ChangeStreamFullDocumentOption.UpdateLookup,
            MaxAwaitTime = maxAwait,
            BatchSize = batchSize,
            ResumeAfter = resumeAfter is null ? null : new RawBsonDocument(resumeAfter).Materialize(new MongoDB.Bson.IO.BsonBinaryReaderSettings()),
        };
        try
        {
            var pipeline = new EmptyPipelineDefinition<ChangeStreamDocument<RawBsonDocument>>();
            return new ChangeStreamReader(collection.Watch(pipeline, options, cancel), display, password);
        }
        catch (MongoException e) when (!cancel.IsCancellationRequested)
        {
            throw Fault(e, display, password);
        }
    }

    /// <summary>The position after everything read so far (the server's post-batch resume token): where a restart continues.</summary>
    public byte[] ResumeToken => (_cutAfter ?? _cursor.GetResumeToken())?.ToBson()
        ?? throw new LoadException(FailureKind.Data, $"the change stream of {_display} gave no resume token, so its position cannot be stored",
            "servers before MongoDB 4.0.7 send none for a batch without changes", "use MongoDB 4.0.7 or later");

    /// <summary>When the last batch stopped before a drop or invalidate: the token of its last change (the post-batch token would pass the drop).</summary>
    private BsonDocument? _cutAfter;

    /// <summary>The cluster time of the last change put in a batch, as (seconds &lt;&lt; 32 | increment); 0 before any.</summary>
    public long LastClusterTime { get; private set; }

    /// <summary>The wall-clock time the last change put in a batch was made, when the server says (lag = now - this).</summary>
    public DateTime? LastWallTime { get; private set; }

    /// <summary>
    /// Fills <paramref name="batch"/> (cleared first) with the next server batch of changes: empty when none
    /// came within the wait. Throws a <see cref="LoadException"/> for a drop, rename, invalidate or lost history.
    /// </summary>
    public void Next(ChangeBatch batch, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(batch);
        batch.Clear();
        _cutAfter = null;
        if (_pending is null)
        {
            try
            {
                if (!_cursor.MoveNext(cancel))
                {
                    throw new LoadException(FailureKind.Data, $"the change stream of {_display} ended", null,
                        "the collection or its database was dropped; load it again with --mode clean");
                }
            }
            catch (MongoException e) when (!cancel.IsCancellationRequested)
            {
                throw Fault(e, _display, _password);
            }
            _pending = _cursor.Current.GetEnumerator();
        }
        while (_pending.MoveNext())
        {
            ChangeStreamDocument<RawBsonDocument> change = _pending.Current;
            switch (change.OperationType)
            {
                case ChangeStreamOperationType.Insert or ChangeStreamOperationType.Replace or ChangeStreamOperationType.Update:
                    // An update whose document is gone by lookup time has no post-image: its delete follows.
                    batch.Add(change.DocumentKey.ToBson(), change.FullDocument is { } full ? Bytes(full) : null);
                    break;
                case ChangeStreamOperationType.Delete:
                    batch.Add(change.DocumentKey.ToBson(), null);
                    break;
                default:
                    if (batch.Count > 0)
                    {
                        // The changes before it are applied first (up to the last one's token); the next call reports it.
                        _cutAfter = _lastToken;
                        _pending = Remaining(_pending, change);
                        return;
                    }
                    throw Ended(change);
            }
            if (change.ClusterTime is { } time)
            {
                LastClusterTime = ((long)time.Timestamp << 32) | (uint)time.Increment;
            }
            LastWallTime = change.WallTime ?? LastWallTime;
            _lastToken = change.ResumeToken;
        }
        _pending = null;
    }

    private BsonDocument? _lastToken;

    private static IEnumerator<ChangeStreamDocument<RawBsonDocument>> Remaining(IEnumerator<ChangeStreamDocument<RawBsonDocument>> rest, ChangeStreamDocument<RawBsonDocument> first)
    {
        yield return first;
        while (rest.MoveNext())
        {
            yield return rest.Current;
        }
    }

    private LoadException Ended(ChangeStreamDocument<RawBsonDocument> change)
    {
        string what = change.OperationType switch
        {
            ChangeStreamOperationType.Drop => "was dropped",
            ChangeStreamOperationType.Rename => $"was renamed{(change.RenameTo is { } to ? $" to {to.DatabaseNamespace.DatabaseName}.{to.CollectionName}" : "")}",
            ChangeStreamOperationType.DropDatabase => "was dropped with its database",
            ChangeStreamOperationType.Invalidate => "can no longer be followed (the change stream was invalidated)",
            var other => $"had a change of a kind etlfast does not apply ({other})",
        };
        return new LoadException(FailureKind.Data, $"the collection {_display} {what}; the sync stopped",
            "every change before it is applied and the position stored",
            change.OperationType == ChangeStreamOperationType.Rename
                ? "point --from/-c at the new name and load it again with --mode clean"
                : "load the collection again with --mode clean once it exists again");
    }

    private static byte[] Bytes(RawBsonDocument document)
    {
        using MongoDB.Bson.IO.IByteBuffer slice = document.Slice;
        var bytes = new byte[slice.Length];
        slice.GetBytes(0, bytes, 0, bytes.Length);
        return bytes;
    }

    /// <summary>The messages for the server's refusals a user can act on; anything else as the driver says it (password removed).</summary>
    private static Exception Fault(MongoException e, string display, string? password)
    {
        if (e is MongoCommandException { Code: 286 } || e.Message.Contains("ChangeStreamHistoryLost", StringComparison.Ordinal))
        {
            return new LoadException(FailureKind.Data,
                $"the change stream of {display} no longer holds the stored position: the oplog moved past it (ChangeStreamHistoryLost)",
                MongoErrors.Brief(e, password),
                "changes made since were lost to the sync: load the collection again with --mode clean (a new snapshot), and give the oplog more room (replSetResizeOplog) if it falls behind again");
        }
        if (e is MongoCommandException { CodeName: "ChangeStreamFatalError" } or MongoCommandException { Code: 280 })
        {
            return new LoadException(FailureKind.Data, $"the change stream of {display} cannot resume from the stored position: {MongoErrors.Brief(e, password)}", null,
                "load the collection again with --mode clean (a new snapshot)");
        }
        return new SourceException($"reading the change stream of {display} failed: {MongoErrors.Brief(e, password)}",
            "check that the server is a replica set or sharded cluster (change streams need one) and reachable, then run the same command again", connection: true);
    }

    public void Dispose() => _cursor.Dispose();
}
