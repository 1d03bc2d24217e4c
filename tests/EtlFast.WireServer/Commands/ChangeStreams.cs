using System.Globalization;
using EtlFast.WireServer.Storage;
using MongoDB.Bson;

namespace EtlFast.WireServer.Commands;

/// <summary>
/// A collection's change stream: aggregate with a lone <c>$changeStream</c> stage (resumeAfter, startAfter,
/// startAtOperationTime, fullDocument default or updateLookup), then getMore on its tailable awaitData cursor,
/// which waits up to maxTimeMS for a change. Every batch carries a postBatchResumeToken and every reply an
/// operationTime and $clusterTime. A drop ends the stream with a drop and an invalidate event. A position
/// the capped oplog no longer holds is refused with code 286. Anything else is refused by name.
/// </summary>
internal static class ChangeStreams
{
    /// <summary>mongod's wait for a getMore on an awaitData cursor that gives no maxTimeMS.</summary>
    private static readonly TimeSpan DefaultAwait = TimeSpan.FromSeconds(1);

    public static bool IsChangeStream(BsonArray pipeline) =>
        pipeline.Count > 0 && pipeline[0] is BsonDocument first && first.ElementCount == 1 && first.GetElement(0).Name == "$changeStream";

    public static byte[] Open(CommandContext ctx, string collection, BsonArray pipeline)
    {
        if (pipeline.Count > 1)
        {
            throw CommandException.NotImplemented($"stage '{pipeline[1].AsBsonDocument.GetElement(0).Name}' after $changeStream (only a lone $changeStream)");
        }
        if (pipeline[0][0] is not BsonDocument spec)
        {
            throw new CommandException(50808, "Location50808", "$changeStream stage expects a document as argument");
        }
        bool updateLookup = false;
        long? position = null;
        Oplog oplog = ctx.Server.Oplog;
        foreach (var option in spec)
        {
            switch (option.Name)
            {
                case "fullDocument":
                    string mode = option.Value.IsString ? option.Value.AsString : "";
                    updateLookup = mode switch
                    {
                        "default" => false,
                        "updateLookup" => true,
                        _ => throw CommandException.NotImplemented($"$changeStream fullDocument '{option.Value}' (only default and updateLookup: there are no post-images here)"),
                    };
                    break;
                case "fullDocumentBeforeChange" when option.Value is BsonString { Value: "off" }:
                case "showExpandedEvents" when !option.Value.ToBoolean():
                case "allChangesForCluster" when !option.Value.ToBoolean():
                    break;
                case "resumeAfter" or "startAfter":
                    Take(ref position, option.Name);
                    (long seq, bool invalidate) = ResumeTokens.Parse(option.Value);
                    if (invalidate && option.Name == "resumeAfter")
                    {
                        throw new CommandException(260, "InvalidResumeToken",
                            "Attempting to resume a change stream using 'resumeAfter' is not allowed from an invalidate notification");
                    }
                    position = seq;
                    break;
                case "startAtOperationTime" when option.Value is BsonTimestamp time:
                    Take(ref position, option.Name);
                    position = oplog.PositionAt(time) ?? throw HistoryLost();
                    break;
                default:
                    throw CommandException.NotImplemented($"$changeStream option '{option.Name}: {option.Value}'");
            }
        }
        long start = position ?? oplog.LastSeq;
        if (oplog.Read(start, 0, static _ => false) is null)
        {
            throw HistoryLost();
        }
        var cursor = new ChangeStreamCursor(ctx.Server.Cursors.NewId(), ctx.Database, collection, start, updateLookup);
        ctx.Server.Cursors.Add(cursor);
        cursor.NoteBatch();
        ctx.Server.NoteBatch(countsForFaults: true);
        // The first batch is empty (mongod does not wait in aggregate); its token is the start position.
        return Reply(ctx, first: true, [], cursor.Id, cursor.Namespace, ResumeTokens.Make(start));
    }

    public static async Task<byte[]> GetMoreAsync(CommandContext ctx, ChangeStreamCursor cursor, int batchSize)
    {
        long? maxTime = ctx.Integer("maxTimeMS");
        TimeSpan wait = maxTime is { } ms ? TimeSpan.FromMilliseconds(ms) : DefaultAwait;
        TimeProvider time = ctx.Server.Time;
        DateTimeOffset deadline = time.GetUtcNow() + wait;
        await cursor.Gate.WaitAsync(ctx.Cancellation).ConfigureAwait(false);
        try
        {
            if (ctx.Server.Faults.ShouldDropBeforeBatch(cursor.BatchesSent))
            {
                throw new ConnectionDropRequestedException();
            }
            var events = new BsonArray();
            BsonDocument token;
            bool ended = false;
            while (true)
            {
                var read = ctx.Server.Oplog.Read(cursor.Position, batchSize, e => e.Database == cursor.Database && e.Collection == cursor.Collection)
                    ?? throw HistoryLost();
                cursor.Position = read.ReachedSeq;
                token = ResumeTokens.Make(cursor.Position);
                foreach (OplogEntry entry in read.Entries)
                {
                    events.Add(Event(ctx, cursor, entry));
                    if (entry.OperationType == "drop")
                    {
                        // A collection's stream ends at its drop: an invalidate follows, and the cursor closes.
                        cursor.Position = entry.Seq;
                        token = ResumeTokens.Make(entry.Seq, invalidate: true);
                        events.Add(Header(token, "invalidate", entry));
                        ended = true;
                        break;
                    }
                }
                TimeSpan remaining = deadline - time.GetUtcNow();
                if (events.Count > 0 || remaining <= TimeSpan.Zero)
                {
                    break;
                }
                await ctx.Server.Oplog.WaitAsync(cursor.Position, remaining, time, ctx.Cancellation).ConfigureAwait(false);
            }
            cursor.NoteBatch();
            ctx.Server.NoteBatch(countsForFaults: true);
            long id = cursor.Id;
            if (ended)
            {
                ctx.Server.Cursors.Remove(id);
                id = 0;
            }
            return Reply(ctx, first: false, events, id, cursor.Namespace, token);
        }
        finally
        {
            cursor.Gate.Release();
        }
    }

    private static BsonDocument Event(CommandContext ctx, ChangeStreamCursor cursor, OplogEntry entry)
    {
        BsonDocument change = Header(ResumeTokens.Make(entry.Seq), entry.OperationType, entry);
        change.Add("ns", new BsonDocument { { "db", entry.Database }, { "coll", entry.Collection } });
        if (entry.DocumentKey is not null)
        {
            change.Add("documentKey", entry.DocumentKey);
        }
        switch (entry.OperationType)
        {
            case "insert" or "replace":
                change.Add("fullDocument", BsonDocumentBytes.Parse(entry.FullDocument!));
                break;
            case "update":
                if (cursor.UpdateLookup)
                {
                    // The document as it is now, or null when it is gone (its delete follows in the stream).
                    StoredDocument? now = ctx.Server.Store.Find(entry.Database, entry.Collection!)?.Get(entry.DocumentKey!["_id"]);
                    change.Add("fullDocument", now is null ? BsonNull.Value : BsonDocumentBytes.Parse(now.Bytes));
                }
                change.Add("updateDescription", entry.UpdateDescription);
                break;
        }
        return change;
    }

    private static BsonDocument Header(BsonDocument token, string operationType, OplogEntry entry) => new()
    {
        { "_id", token },
        { "operationType", operationType },
        { "clusterTime", entry.ClusterTime },
        { "wallTime", new BsonDateTime(entry.WallTime) },
    };

    private static byte[] Reply(CommandContext ctx, bool first, BsonArray batch, long id, string ns, BsonDocument postBatchResumeToken)
    {
        BsonTimestamp clusterTime = ctx.Server.Oplog.ClusterTime;
        return BsonDocumentBytes.Serialize(new BsonDocument
        {
            {
                "cursor", new BsonDocument
                {
                    { first ? "firstBatch" : "nextBatch", batch },
                    { "postBatchResumeToken", postBatchResumeToken },
                    { "id", id },
                    { "ns", ns },
                }
            },
            { "ok", 1.0 },
            { "operationTime", clusterTime },
            {
                "$clusterTime", new BsonDocument
                {
                    { "clusterTime", clusterTime },
                    { "signature", new BsonDocument { { "hash", new BsonBinaryData(new byte[20]) }, { "keyId", 0L } } },
                }
            },
        });
    }

    private static void Take(ref long? position, string option)
    {
        if (position is not null)
        {
            throw new CommandException(40674, "Location40674", $"Only one type of resume option is allowed, but multiple were found ({option})");
        }
    }

    private static CommandException HistoryLost() => new(286, "ChangeStreamHistoryLost",
        "Resume of change stream was not possible, as the resume point may no longer be in the oplog.");
}

/// <summary>
/// Resume tokens: {_data: "EF" + the oplog sequence number (16 hex digits) + "00", or "01" for the
/// invalidate after that entry}. Opaque to clients, as real ones are; they sort as their positions do.
/// </summary>
internal static class ResumeTokens
{
    public static BsonDocument Make(long seq, bool invalidate = false) =>
        new("_data", string.Create(CultureInfo.InvariantCulture, $"EF{seq:X16}{(invalidate ? "01" : "00")}"));

    public static (long Seq, bool Invalidate) Parse(BsonValue token)
    {
        if (token is BsonDocument { ElementCount: 1 } doc && doc.GetElement(0).Name == "_data" && doc[0] is BsonString { Value: var data }
            && data.Length == 20 && data.StartsWith("EF", StringComparison.Ordinal)
            && long.TryParse(data.AsSpan(2, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long seq)
            && data[18..] is "00" or "01")
        {
            return (seq, data[18..] == "01");
        }
        throw new CommandException(280, "ChangeStreamFatalError", $"the resume token {token} was not made by this server");
    }
}
