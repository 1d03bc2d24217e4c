using EtlFast.Core.Load;
using EtlFast.Core.Sources;
using MongoDB.Bson;
using MongoDB.Bson.Serialization.Serializers;
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
    private readonly IChangeStreamCursor<RawBsonDocument> _cursor;
    private readonly string _display;
    private readonly string? _password;
    private IEnumerator<RawBsonDocument>? _pending;

    private readonly ChangeStreamReplies _replies;

    private ChangeStreamReader(IChangeStreamCursor<RawBsonDocument> cursor, string display, string? password, ChangeStreamReplies replies)
    {
        _cursor = cursor;
        _display = display;
        _password = password;
        _replies = replies;
    }

    /// <summary>
    /// Opens the stream after <paramref name="resumeAfter"/> (a stored resume token's BSON), or at the
    /// present when null. <paramref name="maxAwait"/> bounds how long one batch waits for a change.
    /// </summary>
    public static ChangeStreamReader Open(IMongoCollection<RawBsonDocument> collection, ChangeStreamReplies replies, string display, string? password,
        byte[]? resumeAfter, TimeSpan maxAwait, int batchSize, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentNullException.ThrowIfNull(replies);
        var options = new ChangeStreamOptions
        {
            FullDocument = ChangeStreamFullDocumentOption.UpdateLookup,
            MaxAwaitTime = maxAwait,
            BatchSize = batchSize,
            ResumeAfter = resumeAfter is null ? null : new RawBsonDocument(resumeAfter).Materialize(new MongoDB.Bson.IO.BsonBinaryReaderSettings()),
        };
        try
        {
            // The events stay raw: the typed ChangeStreamDocument cannot take the null fullDocument that
            // updateLookup gives for a document deleted since its update.
            PipelineDefinition<ChangeStreamDocument<RawBsonDocument>, RawBsonDocument> pipeline =
                PipelineDefinition<ChangeStreamDocument<RawBsonDocument>, RawBsonDocument>.Create(Array.Empty<BsonDocument>(), RawBsonDocumentSerializer.Instance);
            return new ChangeStreamReader(collection.Watch(pipeline, options, cancel), display, password, replies);
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
        WaitedInVain = false;
        if (_pending is null)
        {
            try
            {
                MoveNext(cancel);
                // An empty batch proves the lag is under the wait only when a getMore waited for it: the
                // opening aggregate's first batch, and the one of the aggregate the driver resumes with
                // after a dropped connection or a resumable error, come at once and prove nothing.
                WaitedInVain = !_cursor.Current.Any() && _replies.LastWasEmptyGetMore;
            }
            catch (MongoException e) when (!cancel.IsCancellationRequested)
            {
                throw Fault(e, _display, _password);
            }
            _pending = _cursor.Current.GetEnumerator();
        }
        while (_pending.MoveNext())
        {
            RawBsonDocument change = _pending.Current;
            string operation = change.GetValue("operationType", "").ToString()!;
            switch (operation)
            {
                case "insert" or "replace" or "update":
                    // An update whose document is gone by lookup time has a null post-image: its delete follows.
                    batch.Add(Key(change), change.GetValue("fullDocument", BsonNull.Value) is RawBsonDocument full ? Bytes(full) : null);
                    break;
                case "delete":
                    batch.Add(Key(change), null);
                    break;
                default:
                    if (batch.Count > 0)
                    {
                        // The changes before it are applied first (up to the last one's token); the next call reports it.
                        _cutAfter = _lastToken;
                        _pending = Remaining(_pending, change);
                        return;
                    }
                    throw Ended(change, operation);
            }
            if (change.GetValue("clusterTime", BsonNull.Value) is BsonTimestamp time)
            {
                LastClusterTime = ((long)time.Timestamp << 32) | (uint)time.Increment;
            }
            if (change.GetValue("wallTime", BsonNull.Value) is BsonDateTime wall)
            {
                LastWallTime = wall.ToUniversalTime();
            }
            _lastToken = Materialized(change["_id"]);
        }
        _pending = null;
    }

    private BsonDocument? _lastToken;

    /// <summary>
    /// The last <see cref="Next"/> brought no change from a getMore, which the server answers empty only
    /// once it has waited the whole maxAwait:
    /// every change made before that wait began is applied (what --until-caught-up stops on).
    /// </summary>
    public bool WaitedInVain { get; private set; }

    private void MoveNext(CancellationToken cancel)
    {
        if (!_cursor.MoveNext(cancel))
        {
            throw new LoadException(FailureKind.Data, $"the change stream of {_display} ended", null,
                "the collection or its database was dropped; load it again with --mode clean");
        }
    }

    private static IEnumerator<RawBsonDocument> Remaining(IEnumerator<RawBsonDocument> rest, RawBsonDocument first)
    {
        yield return first;
        while (rest.MoveNext())
        {
            yield return rest.Current;
        }
    }

    private LoadException Ended(RawBsonDocument change, string operation)
    {
        string what = operation switch
        {
            "drop" => "was dropped",
            "rename" => $"was renamed{(change.GetValue("to", BsonNull.Value) is BsonDocument to ? $" to {to.GetValue("db", "")}.{to.GetValue("coll", "")}" : "")}",
            "dropDatabase" => "was dropped with its database",
            "invalidate" => "can no longer be followed (the change stream was invalidated)",
            var other => $"had a change of a kind etlfast does not apply ({other})",
        };
        return new LoadException(FailureKind.Data, $"the collection {_display} {what}; the sync stopped",
            "every change before it is applied and the position stored",
            operation == "rename"
                ? "point --from/-c at the new name and load it again with --mode clean"
                : "load the collection again with --mode clean once it exists again");
    }

    /// <summary>The change's documentKey ({_id: ...}) as BSON.</summary>
    private static byte[] Key(RawBsonDocument change) =>
        change.GetValue("documentKey", BsonNull.Value) is RawBsonDocument key ? Bytes(key)
            : throw new LoadException(FailureKind.Data, $"a change event without a documentKey: {change}", null, "the server's change stream is not MongoDB's");

    private static BsonDocument Materialized(BsonValue token) => token is RawBsonDocument raw
        ? raw.Materialize(new MongoDB.Bson.IO.BsonBinaryReaderSettings())
        : token.AsBsonDocument;

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
