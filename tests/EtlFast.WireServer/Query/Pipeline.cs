using EtlFast.WireServer.Storage;
using MongoDB.Bson;

namespace EtlFast.WireServer.Query;

/// <summary>
/// The aggregation stages chunk planning needs: $match, $sort, $limit, $skip, $project (top-level
/// inclusion/exclusion), $group (constant or "$field" key; $sum, $min, $max, $first, $last, $avg,
/// $count), $count, $sample and $bucketAuto (groupBy "$field", buckets N). Other stages are refused.
/// </summary>
internal static class Pipeline
{
    public static List<DocView> Run(StoredCollection? collection, BsonArray stages, Random random)
    {
        var specs = new List<(string Name, BsonValue Spec)>();
        foreach (var stage in stages)
        {
            if (stage is not BsonDocument doc || doc.ElementCount != 1)
            {
                throw new CommandException(40323, "Location40323", "A pipeline stage specification object must contain exactly one field.");
            }
            specs.Add((doc.GetElement(0).Name, doc[0]));
        }
        // A leading $match selects through the `_id` index, as mongod would.
        int next = 0;
        var filter = Filter.Everything;
        if (specs.Count > 0 && specs[0].Name == "$match")
        {
            filter = Filter.Compile(StageDocument(specs[0]));
            next = 1;
        }
        var items = Commands.QueryRunner.Select(collection, filter);
        for (int i = next; i < specs.Count; i++)
        {
            items = Apply(specs[i].Name, specs[i].Spec, items, random);
        }
        return items;
    }

    private static List<DocView> Apply(string name, BsonValue spec, List<DocView> items, Random random)
    {
        switch (name)
        {
            case "$match":
                var filter = Filter.Compile(StageDocument((name, spec)));
                return items.FindAll(filter.Matches);
            case "$sort":
                SortSpec.Compile(StageDocument((name, spec)), "$sort").Apply(items);
                return items;
            case "$limit":
                long limit = PositiveInteger(name, spec);
                if (items.Count > limit)
                {
                    items.RemoveRange((int)limit, items.Count - (int)limit);
                }
                return items;
            case "$skip":
                long skip = spec.IsNumeric ? spec.ToInt64() : -1;
                if (skip < 0)
                {
                    throw CommandException.BadValue("$skip needs a non-negative number");
                }
                items.RemoveRange(0, (int)Math.Min(skip, items.Count));
                return items;
            case "$project":
                var projection = Projection.Compile(StageDocument((name, spec)), "$project");
                return items.ConvertAll(projection.Apply);
            case "$group":
                return GroupStage.Run(StageDocument((name, spec)), items);
            case "$count":
                return Count(spec, items);
            case "$sample":
                return Sample(spec, items, random);
            case "$bucketAuto":
                return BucketAutoStage.Run(StageDocument((name, spec)), items);
            default:
                throw CommandException.NotImplemented($"aggregation stage '{name}'");
        }
    }

    private static BsonDocument StageDocument((string Name, BsonValue Spec) stage) =>
        stage.Spec as BsonDocument ?? throw CommandException.BadValue($"the argument to {stage.Name} must be an object, got {stage.Spec.BsonType}");

    private static long PositiveInteger(string stage, BsonValue spec)
    {
        if (!spec.IsNumeric || spec.ToDouble() != Math.Floor(spec.ToDouble()) || spec.ToInt64() <= 0)
        {
            throw CommandException.BadValue($"the argument to {stage} must be a positive whole number, got {spec}");
        }
        return spec.ToInt64();
    }

    private static List<DocView> Count(BsonValue spec, List<DocView> items)
    {
        if (!spec.IsString || spec.AsString.Length == 0 || spec.AsString.StartsWith('$') || spec.AsString.Contains('.', StringComparison.Ordinal))
        {
            throw CommandException.BadValue($"the count field must be a non-empty string without '$' or '.', got {spec}");
        }
        // Like mongod, no input means no output document (not {count: 0}).
        return items.Count == 0 ? [] : [DocView.Of(new BsonDocument(spec.AsString, items.Count))];
    }

    private static List<DocView> Sample(BsonValue spec, List<DocView> items, Random random)
    {
        if (spec is not BsonDocument doc || doc.ElementCount != 1 || doc.GetElement(0).Name != "size")
        {
            throw CommandException.NotImplemented($"$sample spec {spec} (only {{size: n}})");
        }
        long size = doc[0].IsNumeric ? doc[0].ToInt64() : -1;
        if (size < 0)
        {
            throw CommandException.BadValue("size argument to $sample must not be negative");
        }
        // Partial Fisher-Yates: distinct documents, in random order.
        int take = (int)Math.Min(size, items.Count);
        lock (random)
        {
            for (int i = 0; i < take; i++)
            {
                int j = random.Next(i, items.Count);
                (items[i], items[j]) = (items[j], items[i]);
            }
        }
        items.RemoveRange(take, items.Count - take);
        return items;
    }

    /// <summary>"$field" → the top-level field name; null for a constant.</summary>
    internal static string? FieldPath(BsonValue expression, string where)
    {
        if (!expression.IsString || !expression.AsString.StartsWith('$'))
        {
            return null;
        }
        string path = expression.AsString[1..];
        if (path.Length == 0 || path.StartsWith('$') || path.Contains('.', StringComparison.Ordinal))
        {
            throw CommandException.NotImplemented($"expression '{expression.AsString}' in {where} (only top-level \"$field\" paths)");
        }
        return path;
    }
}
