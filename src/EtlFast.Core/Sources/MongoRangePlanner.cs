using MongoDB.Bson;
using MongoDB.Driver;

namespace EtlFast.Core.Sources;

/// <summary>
/// Cuts a collection's <c>_id</c> key space into ranges, in the BsonDocument style that works under
/// NativeAOT. For each type group (in MongoDB's order): the smallest <c>_id</c> of the group (a sorted
/// find, limit 1, on the <c>_id</c> index; none: the group is absent), the largest, and a count; then
/// split points by arithmetic (numbers, ObjectIds, dates, timestamps: one count per range checks the
/// result is not badly skewed and adds up) or else <c>$bucketAuto</c> (strings and the rest, and skewed
/// keys; a server without it reads the group as one range). One count of the whole collection checks
/// that the groups hold every document (see <see cref="Plan"/>). Only the <c>_id</c> index is touched
/// while the counts add up (the user's filter is applied when reading), and the plan depends only on the
/// data: the same collection gives the same ranges, and so the same chunk indexes, whatever the number
/// of readers.
/// </summary>
internal sealed class MongoRangePlanner(IMongoCollection<BsonDocument> collection, MongoRetry retry)
{
    /// <summary>About this many documents per range; small collections still get a few ranges to read in parallel.</summary>
    public const int DocumentsPerRange = 512;

    /// <summary>At most this many ranges per type group: enough to balance dozens of readers.</summary>
    public const int MaxRangesPerGroup = 256;

    private static readonly BsonDocument IdIndex = new("_id", 1);

    /// <summary>
    /// The ranges, in <c>_id</c> order, checked against one count of the whole collection: when the
    /// groups' counts do not add up to it (a server whose comparisons do not follow MongoDB's order), the
    /// documents the groups miss are read by one more range after them (<see cref="MongoTypeGroup.Rest"/>),
    /// or, when even that does not add up, the collection is read whole as one range. Either way every
    /// document of an unchanging collection is read once, and the plan still depends only on the data.
    /// </summary>
    public MongoRangePlan Plan(CancellationToken cancel)
    {
        var ranges = new List<MongoRange>();
        var notes = new List<string>();
        long total = retry.Run(() => Count(new BsonDocument(), cancel), "counting documents", cancel);
        long inGroups = 0;
        var present = new List<MongoTypeGroup>();
        foreach (MongoTypeGroup group in MongoTypeGroup.All)
        {
            BsonValue? min = retry.Run(() => Edge(group, 1, cancel), "finding the smallest _id", cancel);
            if (min is null)
            {
                continue;
            }
            present.Add(group);
            long count = retry.Run(() => Count(group.Filter(), cancel), "counting documents", cancel);
            inGroups += count;
            List<BsonValue> points = group.Split == MongoSplit.None ? [] : Points(group, min, count, notes, cancel);
            BsonValue? from = null;
            foreach (BsonValue point in points)
            {
                ranges.Add(new MongoRange(ranges.Count, group, from, point));
                from = point;
            }
            ranges.Add(new MongoRange(ranges.Count, group, from, null));
        }
        if (inGroups == total)
        {
            return new MongoRangePlan(ranges, total, notes);
        }
        long rest = retry.Run(() => Count(MongoTypeGroup.Rest.Filter(), cancel), "counting the documents outside the _id ranges", cancel);
        if (inGroups + rest == total)
        {
            notes.Add($"the server's _id range queries match {inGroups:N0} of the {total:N0} documents; the other {rest:N0} are read by one more query, not split");
            ranges.Add(new MongoRange(ranges.Count, MongoTypeGroup.Rest, null, null));
            return new MongoRangePlan(ranges, total, notes);
        }
        if (!retry.Run(() => Overlap(present, cancel), "checking that the _id ranges do not overlap", cancel))
        {
            // The groups are disjoint on this server and Rest is "none of them", so together they
            // still hold every document exactly once: the counts moved because the collection did.
            notes.Add($"the collection changed while being planned (the _id ranges count {inGroups:N0} documents and {rest:N0} lie outside them, " +
                $"but the collection counted {total:N0}); the ranges still cover every document once");
            ranges.Add(new MongoRange(ranges.Count, MongoTypeGroup.Rest, null, null));
            return new MongoRangePlan(ranges, total, notes);
        }
        notes.Add($"the _id ranges count {inGroups:N0} documents and {rest:N0} lie outside them, but the collection counts {total:N0}, " +
            "and the server's comparisons put some documents in two type groups: it is read whole by one query, not split");
        return new MongoRangePlan([new MongoRange(0, MongoTypeGroup.Whole, null, null)], total, notes);
    }

    /// <summary>
    /// True when some document matches two type groups' filters: a server whose comparisons cross
    /// MongoDB's type brackets, where the groups would read it twice. One count per pair of present groups.
    /// </summary>
    private bool Overlap(List<MongoTypeGroup> present, CancellationToken cancel)
    {
        for (int i = 0; i < present.Count; i++)
        {
            for (int j = i + 1; j < present.Count; j++)
            {
                var both = new BsonDocument("$and", new BsonArray { present[i].Filter(), present[j].Filter() });
                if (Count(both, cancel) > 0)
                {
                    return true;
                }
            }
        }
        return false;
    }

    /// <summary>Split points inside a group of <paramref name="count"/> documents: by arithmetic, else from buckets; none when the group is read as one range.</summary>
    private List<BsonValue> Points(MongoTypeGroup group, BsonValue min, long count, List<string> notes, CancellationToken cancel)
    {
        int parts = Parts(count);
        if (parts <= 1)
        {
            return [];
        }
        BsonValue max = retry.Run(() => Edge(group, -1, cancel), "finding the largest _id", cancel) ?? min;
        if (min.Equals(max))
        {
            return [];
        }
        List<BsonValue>? even = MongoSplitPoints.Between(group.Split, min, max, parts);
        if (even is not null)
        {
            switch (retry.Run(() => Check(group, even, count, parts, cancel), "counting documents per range", cancel))
            {
                case Spread.Even:
                    return even;
                case Spread.Miscounted:
                    notes.Add($"the server's counts of the {group.Name} _id ranges do not add up to the group's {count:N0}: they are read as one range");
                    return [];
            }
        }
        List<BsonValue>? buckets = retry.Run(() => Buckets(group, parts, cancel), "sampling _id boundaries", cancel);
        if (buckets is null)
        {
            notes.Add($"the server does not implement $bucketAuto: the {count:N0} {group.Name} _ids are read as one range");
            return [];
        }
        return buckets;
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

    private enum Spread
    {
        Even,
        Skewed,
        Miscounted,
    }

    /// <summary>
    /// Skewed when evenly spaced points leave one range with far more than its share (keys that are not
    /// spread evenly: int32 counters next to int64 ones, old ObjectIds next to new): then buckets are
    /// worth their cost. Miscounted when the ranges' counts do not add up to the group's: the server's
    /// comparisons do not cut the group as MongoDB's do. One count per range, each answered from the index.
    /// </summary>
    private Spread Check(MongoTypeGroup group, List<BsonValue> points, long count, int parts, CancellationToken cancel)
    {
        long fair = (count + parts - 1) / parts;
        long sum = 0;
        BsonValue? from = null;
        for (int i = 0; i <= points.Count; i++)
        {
            BsonValue? to = i < points.Count ? points[i] : null;
            var range = new MongoRange(i, group, from, to);
            long n = Count(range.Filter(null, null)!, cancel);
            if (n > SkewFactor * fair)
            {
                return Spread.Skewed;
            }
            sum += n;
            from = to;
        }
        return sum == count ? Spread.Even : Spread.Miscounted;
    }

    /// <summary>A range may hold this many times its fair share before arithmetic split points give way to buckets.</summary>
    public const int SkewFactor = 3;

    /// <summary>Boundaries from <c>$bucketAuto</c>: each bucket's min after the first. Deterministic for the same data, unlike <c>$sample</c>. Null: the server does not implement it.</summary>
    private List<BsonValue>? Buckets(MongoTypeGroup group, int parts, CancellationToken cancel)
    {
        BsonDocument[] stages =
        [
            new("$match", group.Filter()),
            new("$project", new BsonDocument("_id", 1)),
            new("$bucketAuto", new BsonDocument { { "groupBy", "$_id" }, { "buckets", parts } }),
        ];
        var points = new List<BsonValue>();
        IAsyncCursor<BsonDocument> cursor;
        try
        {
            cursor = collection.Aggregate(PipelineDefinition<BsonDocument, BsonDocument>.Create(stages), new AggregateOptions { AllowDiskUse = true }, cancel);
        }
        catch (MongoCommandException e) when (MongoErrors.IsNotImplemented(e))
        {
            return null;
        }
        using (cursor)
        {
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
        }
        return points;
    }
}

/// <summary>
/// What <see cref="MongoRangePlanner.Plan"/> found: the ranges in <c>_id</c> order, how many documents
/// the collection counted when planned, and what a user should know about the plan (a stage the server
/// lacks, ranges that did not add up), for stderr.
/// </summary>
internal sealed record MongoRangePlan(List<MongoRange> Ranges, long Documents, IReadOnlyList<string> Notes);
