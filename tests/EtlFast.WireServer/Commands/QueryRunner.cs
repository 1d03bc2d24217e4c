using EtlFast.WireServer.Protocol;
using EtlFast.WireServer.Query;
using EtlFast.WireServer.Storage;
using MongoDB.Bson;

namespace EtlFast.WireServer.Commands;

/// <summary>Shared by find, count and aggregate: select matching documents, open a cursor, hand out batches.</summary>
internal static class QueryRunner
{
    /// <summary>Matching documents in `_id` order; an `_id`-bounded filter binary-searches instead of scanning.</summary>
    public static List<DocView> Select(StoredCollection? collection, Filter filter, IdBounds? extraBounds = null)
    {
        var results = new List<DocView>();
        if (collection is null)
        {
            return results;
        }
        var bounds = filter.IdBounds();
        if (extraBounds is not null)
        {
            if (bounds == IdBounds.None)
            {
                bounds = new IdBounds();
            }
            bounds.Lower.AddRange(extraBounds.Lower);
            bounds.Upper.AddRange(extraBounds.Upper);
        }
        var candidates = bounds.Lower.Count + bounds.Upper.Count > 0 ? collection.Range(bounds) : collection.All();
        foreach (var stored in candidates)
        {
            var view = DocView.Of(stored);
            if (filter.IsEmpty || filter.Matches(view))
            {
                results.Add(view);
            }
        }
        return results;
    }

    public static void Sort(List<DocView> results, SortSpec sort)
    {
        switch (sort.IdOnlyDirection)
        {
            case 1:
                return; // already in `_id` order
            case -1:
                results.Reverse();
                return;
            default:
                sort.Apply(results);
                return;
        }
    }

    /// <summary>Opens a cursor over the results and answers with its first batch (id 0 when nothing is left).</summary>
    public static byte[] FirstBatch(
        CommandContext ctx, string ns, List<DocView> results, Projection projection, int? batchSize, bool singleBatch, bool countsForFaults)
    {
        if (countsForFaults && ctx.Server.Faults.ShouldDropBeforeBatch(0))
        {
            throw new ConnectionDropRequestedException();
        }
        var cursor = new ServerCursor(ctx.Server.Cursors.NewId(), ns, results, projection, countsForFaults);
        var batch = cursor.NextBatch(batchSize);
        long id = 0;
        if (!cursor.Exhausted && !singleBatch)
        {
            ctx.Server.Cursors.Add(cursor);
            id = cursor.Id;
        }
        ctx.Server.NoteBatch(countsForFaults);
        return CursorReply.Build(first: true, batch, id, ns);
    }

    /// <summary>Reads the "cursor" option of aggregate/listCollections: {} or {batchSize: n}.</summary>
    public static int? CursorBatchSize(CommandContext ctx, bool required)
    {
        var cursor = ctx.Document("cursor");
        if (cursor is null)
        {
            if (required)
            {
                throw new CommandException(9, "FailedToParse", $"The 'cursor' option is required for command '{ctx.Name}'");
            }
            return ServerCursor.DefaultFirstBatch;
        }
        int? batchSize = ServerCursor.DefaultFirstBatch;
        foreach (var element in cursor)
        {
            if (element.Name != "batchSize")
            {
                throw CommandException.NotImplemented($"cursor option '{element.Name}' of command '{ctx.Name}'");
            }
            if (!element.Value.IsNumeric || element.Value.ToInt64() < 0)
            {
                throw CommandException.BadValue("cursor.batchSize must be a non-negative number");
            }
            batchSize = (int)element.Value.ToInt64();
        }
        return batchSize;
    }

    /// <summary>Only the `_id` index exists; a hint must name it.</summary>
    public static void CheckHint(CommandContext ctx)
    {
        if (!ctx.Body.TryGetValue("hint", out var hint))
        {
            return;
        }
        bool isIdIndex = (hint.IsString && hint.AsString == "_id_")
            || (hint is BsonDocument key && key.ElementCount == 1 && key.GetElement(0).Name == "_id" && key[0].IsNumeric && key[0].ToDouble() == 1);
        if (!isIdIndex)
        {
            throw CommandException.NotImplemented($"hint {hint} of command '{ctx.Name}' (only the _id index exists)");
        }
    }

    public static string Namespace(CommandContext ctx, string collection) => ctx.Database + "." + collection;
}

/// <summary>A fault asked for this connection to be closed instead of answered.</summary>
internal sealed class ConnectionDropRequestedException : Exception
{
    public ConnectionDropRequestedException()
        : base("wire test server: connection dropped by fault injection")
    {
    }

    public ConnectionDropRequestedException(string message)
        : base(message)
    {
    }

    public ConnectionDropRequestedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
