using EtlFast.WireServer.Protocol;
using EtlFast.WireServer.Query;
using MongoDB.Bson;

namespace EtlFast.WireServer.Commands;

/// <summary>find, getMore, killCursors and count.</summary>
internal static class FindCommands
{
    public static byte[] Find(CommandContext ctx)
    {
        ctx.CheckOptions(
            "filter", "sort", "projection", "hint", "skip", "limit", "batchSize", "singleBatch",
            "noCursorTimeout", "allowPartialResults", "allowDiskUse", "min", "max");
        string name = ctx.CollectionName();
        var filter = Filter.Compile(ctx.Document("filter"));
        var sort = SortSpec.Compile(ctx.Document("sort"), "find");
        var projection = Projection.Compile(ctx.Document("projection"), "find projection");
        QueryRunner.CheckHint(ctx);
        long skip = ctx.Integer("skip") ?? 0;
        long limit = ctx.Integer("limit") ?? 0;
        long? batchSize = ctx.Integer("batchSize");
        if (skip < 0 || limit < 0 || batchSize < 0)
        {
            throw CommandException.BadValue("skip, limit and batchSize of find must be non-negative");
        }
        var results = QueryRunner.Select(ctx.Server.Store.Find(ctx.Database, name), filter, IndexBounds(ctx));
        QueryRunner.Sort(results, sort);
        Trim(results, skip, limit);
        int? first = batchSize is null ? ServerCursor.DefaultFirstBatch : (int)Math.Min(batchSize.Value, int.MaxValue);
        return QueryRunner.FirstBatch(ctx, QueryRunner.Namespace(ctx, name), results, projection, first, ctx.Flag("singleBatch"), countsForFaults: true);
    }

    /// <summary>
    /// find's min/max: raw `_id` index bounds (min inclusive, max exclusive) that, unlike $gte/$lt,
    /// cross type brackets. mongod requires a hint with them.
    /// </summary>
    private static IdBounds? IndexBounds(CommandContext ctx)
    {
        var min = ctx.Document("min");
        var max = ctx.Document("max");
        if (min is null && max is null)
        {
            return null;
        }
        if (!ctx.Body.Contains("hint"))
        {
            throw new CommandException(51173, "Location51173", "When using min()/max() a hint of which index to use must be provided");
        }
        var bounds = new IdBounds();
        if (min is not null)
        {
            bounds.Lower.Add(IdBound.At(IdKey(min, "min"), inclusive: true));
        }
        if (max is not null)
        {
            bounds.Upper.Add(IdBound.At(IdKey(max, "max"), inclusive: false));
        }
        return bounds;
    }

    private static BsonValue IdKey(BsonDocument bound, string what)
    {
        if (bound.ElementCount != 1 || bound.GetElement(0).Name != "_id")
        {
            throw CommandException.NotImplemented($"find {what} {bound} (only {{_id: value}} on the _id index)");
        }
        return bound[0];
    }

    public static void Trim(List<DocView> results, long skip, long limit)
    {
        if (skip > 0)
        {
            results.RemoveRange(0, (int)Math.Min(skip, results.Count));
        }
        if (limit > 0 && results.Count > limit)
        {
            results.RemoveRange((int)limit, results.Count - (int)limit);
        }
    }

    public static async Task<byte[]> GetMoreAsync(CommandContext ctx)
    {
        ctx.CheckOptions("collection", "batchSize", "term", "lastKnownCommittedOpTime");
        var idValue = ctx.Body[0];
        if (idValue.BsonType is not (BsonType.Int64 or BsonType.Int32))
        {
            throw new CommandException(14, "TypeMismatch", $"getMore cursor id must be an int64, got {idValue.BsonType}");
        }
        long id = idValue.ToInt64();
        string collection = ctx.Body.TryGetValue("collection", out var c) && c.IsString ? c.AsString
            : throw new CommandException(14, "TypeMismatch", "getMore needs a string 'collection'");
        long? batchSize = ctx.Integer("batchSize");
        if (batchSize <= 0)
        {
            throw CommandException.BadValue($"Batch size for getMore must be positive, but received: {batchSize}");
        }
        var failure = ctx.Server.Faults.TakeGetMoreFailure();
        if (failure is not null)
        {
            throw failure;
        }
        var cursor = ctx.Server.Cursors.Find(id) ?? throw new CommandException(43, "CursorNotFound", $"cursor id {id} not found");
        string ns = QueryRunner.Namespace(ctx, collection);
        if (cursor.Namespace != ns)
        {
            throw new CommandException(13, "Unauthorized", $"Requested getMore on namespace '{ns}', but cursor belongs to a different namespace {cursor.Namespace}");
        }
        if (cursor is ChangeStreamCursor changes)
        {
            return await ChangeStreams.GetMoreAsync(ctx, changes, batchSize is null ? 1000 : (int)Math.Min(batchSize.Value, int.MaxValue)).ConfigureAwait(false);
        }
        return More(ctx, (ServerCursor)cursor, id, ns, batchSize);
    }

    private static byte[] More(CommandContext ctx, ServerCursor cursor, long id, string ns, long? batchSize)
    {
        List<byte[]> batch;
        lock (cursor.Gate)
        {
            if (cursor.CountsForFaults && ctx.Server.Faults.ShouldDropBeforeBatch(cursor.BatchesSent))
            {
                throw new ConnectionDropRequestedException();
            }
            batch = cursor.NextBatch(batchSize is null ? null : (int)Math.Min(batchSize.Value, int.MaxValue));
        }
        if (cursor.Exhausted)
        {
            ctx.Server.Cursors.Remove(id);
            id = 0;
        }
        ctx.Server.NoteBatch(cursor.CountsForFaults);
        return CursorReply.Build(first: false, batch, id, ns);
    }

    public static BsonDocument KillCursors(CommandContext ctx)
    {
        ctx.CheckOptions("cursors");
        string ns = QueryRunner.Namespace(ctx, ctx.CollectionName());
        if (!ctx.Body.TryGetValue("cursors", out var list) || list is not BsonArray ids)
        {
            throw new CommandException(14, "TypeMismatch", "killCursors needs an array 'cursors'");
        }
        var killed = new BsonArray();
        var notFound = new BsonArray();
        foreach (var value in ids)
        {
            long id = value.ToInt64();
            var cursor = ctx.Server.Cursors.Find(id);
            if (cursor is not null && cursor.Namespace == ns && ctx.Server.Cursors.Remove(id))
            {
                killed.Add(new BsonInt64(id));
            }
            else
            {
                notFound.Add(new BsonInt64(id));
            }
        }
        return new BsonDocument
        {
            { "cursorsKilled", killed },
            { "cursorsNotFound", notFound },
            { "cursorsAlive", new BsonArray() },
            { "cursorsUnknown", new BsonArray() },
            { "ok", 1.0 },
        };
    }

    public static BsonDocument Count(CommandContext ctx)
    {
        ctx.CheckOptions("query", "limit", "skip", "hint");
        string name = ctx.CollectionName();
        var filter = Filter.Compile(ctx.Document("query"));
        QueryRunner.CheckHint(ctx);
        long skip = ctx.Integer("skip") ?? 0;
        long limit = Math.Abs(ctx.Integer("limit") ?? 0);
        if (skip < 0)
        {
            throw CommandException.BadValue("skip of count must be non-negative");
        }
        var results = QueryRunner.Select(ctx.Server.Store.Find(ctx.Database, name), filter);
        long n = Math.Max(0, results.Count - skip);
        if (limit > 0)
        {
            n = Math.Min(n, limit);
        }
        return new BsonDocument { { "n", n <= int.MaxValue ? new BsonInt32((int)n) : new BsonInt64(n) }, { "ok", 1.0 } };
    }
}
