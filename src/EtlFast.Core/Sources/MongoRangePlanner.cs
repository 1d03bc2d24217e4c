using MongoDB.Bson;
using MongoDB.Driver;

namespace EtlFast.Core.Sources;

/// <summary>
/// Cuts a collection's <c>_id</c> key space into ranges, in the BsonDocument style that works under
/// NativeAOT. For each type group (in MongoDB's order): the smallest <c>_id</c> of the group (a sorted
/// find, limit 1, on the <c>_id</c> index; none: the group is absent), the largest, and a count; then
/// split points by arithmetic (numbers, ObjectIds, dates, timestamps: one count per range checks the
/// result is not badly skewed) or else <c>$bucketAuto</c> (strings and the rest, and skewed keys). Only the <c>_id</c> index is touched (the user's filter is applied when reading), and the
/// plan depends only on the data: the same collection gives the same ranges, and so the same chunk
/// indexes, whatever the number of readers.
/// </summary>
internal sealed class MongoRangePlanner(IMongoCollection<BsonDocument> collection, MongoRetry retry)
{
    /// <summary>About this many documents per range; small collections still get a few ranges to read in parallel.</summary>
    public const int DocumentsPerRange = 512;

    /// <summary>At most this many ranges per type group: enough to balance dozens of readers.</summary>
    public const int MaxRangesPerGroup = 256;

    private static readonly BsonDocument IdIndex = new("_id", 1);

    public List<MongoRange> Plan(CancellationToken cancel)
    {
        var ranges = new List<MongoRange>();
        foreach (MongoTypeGroup group in MongoTypeGroup.All)
        {
            BsonValue? min = retry.Run(() => Edge(group, 1, cancel), "finding the smallest _id", cancel);
            if (min is null)
            {
                continue;
            }
            List<BsonValue> points = [];
            if (group.Split != MongoSplit.None)
            {
                BsonValue max = retry.Run(() => Edge(group, -1, cancel), "finding the largest _id", cancel) ?? min;
                long count = retry.Run(() => Count(group.Filter(), cancel), "counting documents", cancel);
                int parts = Parts(count);
                if (parts > 1 && !min.Equals(max))
                {
                    List<BsonValue>? even = MongoSplitPoints.Between(group.Split, min, max, parts);
                    points = even is not null && !retry.Run(() => Skewed(group, even, count, parts, cancel), "counting documents per range", cancel)
                        ? even
                        : retry.Run(() => Buckets(group, parts, cancel), "sampling _id boundaries", cancel);
                }
            }
            BsonValue? from = null;
            foreach (BsonValue point in points)
            {
                ranges.Add(new MongoRange(ranges.Count, group, from, point));
                from = point;
            }
            ranges.Add(new MongoRange(ranges.Count, group, from, null));
        }
        return ranges;
    }

    /// <summary>How many ranges a group of <paramref name="count"/> documents is cut into.</summary>
    public static int Parts(long count) => (int)Math.Clamp((count + DocumentsPerRange - 1) / DocumentsPerRange, 1, MaxRangesPerGroup);

    /// <summary>The smallest (direction 1) or largest (-1) <c>_id</c> of the group, or null when it has none.</summary>
    private BsonValue? Edge(MongoTypeGroup group, int direction, CancellationToken cancel)
    {
        var options = new FindOptions<BsonDocument, BsonDocument>
        {
            Sort = new BsonDocumentSortDefinition<BsonDocument>(new BsonDocument("_id", direction)),
            Projection = new BsonDocumentProjectionDefinition<BsonDocument, BsonDocument>(new BsonDocument("_id", 1)),
            Limit = 1,
            Hint = IdIndex,
        };
        using IAsyncCursor<BsonDocument> cursor = collection.FindSync(new BsonDocumentFilterDefinition<BsonDocument>(group.Filter()), options, cancel);
        while (cursor.MoveNext(cancel))
        {
            foreach (BsonDocument d in cursor.Current)
            {
                return d.GetValue("_id", BsonNull.Value);
            }
        }
        return null;
    }

    /// <summary>The count command on an <c>_id</c> range is answered from the index (mongod: COUNT_SCAN).</summary>
    private long Count(BsonDocument filter, CancellationToken cancel)
    {
        var command = new BsonDocument
        {
            { "count", collection.CollectionNamespace.CollectionName },
            { "query", filter },
            { "hint", IdIndex },
        };
        BsonDocument reply = collection.Database.RunCommand(new BsonDocumentCommand<BsonDocument>(command), cancellationToken: cancel);
        return reply.GetValue("n", 0).ToInt64();
    }

    /// <summary>
    /// True when evenly spaced points leave one range with far more than its share (keys that are not
    /// spread evenly: int32 counters next to int64 ones, old ObjectIds next to new): then buckets are
    /// worth their cost. One count per range, each answered from the index.
    /// </summary>
    private bool Skewed(MongoTypeGroup group, List<BsonValue> points, long count, int parts, CancellationToken cancel)
    {
        long fair = (count + parts - 1) / parts;
        BsonValue? from = null;
        for (int i = 0; i <= points.Count; i++)
        {
            BsonValue? to = i < points.Count ? points[i] : null;
            var range = new MongoRange(i, group, from, to);
            if (Count(range.Filter(null, null)!, cancel) > SkewFactor * fair)
            {
                return true;
            }
            from = to;
        }
        return false;
    }

    /// <summary>A range may hold this many times its fair share before arithmetic split points give way to buckets.</summary>
    public const int SkewFactor = 3;

    /// <summary>Boundaries from <c>$bucketAuto</c>: each bucket's min after the first. Deterministic for the same data, unlike <c>$sample</c>.</summary>
    private List<BsonValue> Buckets(MongoTypeGroup group, int parts, CancellationToken cancel)
    {
        BsonDocument[] stages =
        [
            new("$match", group.Filter()),
            new("$project", new BsonDocument("_id", 1)),
            new("$bucketAuto", new BsonDocument { { "groupBy", "$_id" }, { "buckets", parts } }),
        ];
        var points = new List<BsonValue>();
        using IAsyncCursor<BsonDocument> cursor = collection.Aggregate(
            PipelineDefinition<BsonDocument, BsonDocument>.Create(stages), new AggregateOptions { AllowDiskUse = true }, cancel);
        bool first = true;
        while (cursor.MoveNext(cancel))
        {
            foreach (BsonDocument bucket in cursor.Current)
            {
                if (!first && bucket.GetValue("_id", BsonNull.Value) is BsonDocument bounds && bounds.TryGetValue("min", out BsonValue min))
                {
                    points.Add(min);
                }
                first = false;
            }
        }
        return points;
    }
}
