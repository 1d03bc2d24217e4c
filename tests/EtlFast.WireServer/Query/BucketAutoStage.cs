using MongoDB.Bson;

namespace EtlFast.WireServer.Query;

/// <summary>
/// $bucketAuto {groupBy: "$field", buckets: N} with mongod's filling rule: each bucket takes
/// round(n / N) values (the last takes the rest), absorbs values equal to its last one, and its max
/// is the next bucket's min (exclusive), except the last bucket's max, which is its largest value.
/// Output: {_id: {min, max}, count}.
/// </summary>
internal static class BucketAutoStage
{
    public static List<DocView> Run(BsonDocument spec, List<DocView> items)
    {
        string? field = null;
        long buckets = 0;
        foreach (var element in spec)
        {
            switch (element.Name)
            {
                case "groupBy":
                    field = Pipeline.FieldPath(element.Value, "$bucketAuto groupBy")
                        ?? throw CommandException.NotImplemented($"$bucketAuto groupBy {element.Value} (only \"$field\")");
                    break;
                case "buckets":
                    if (!element.Value.IsNumeric || element.Value.ToDouble() != Math.Floor(element.Value.ToDouble()) || element.Value.ToInt64() is <= 0 or > int.MaxValue)
                    {
                        throw new CommandException(40243, "Location40243", $"The $bucketAuto 'buckets' field must be greater than 0, but found: {element.Value}");
                    }
                    buckets = element.Value.ToInt64();
                    break;
                default:
                    throw CommandException.NotImplemented($"$bucketAuto option '{element.Name}'");
            }
        }
        if (field is null || buckets == 0)
        {
            throw new CommandException(40246, "Location40246", "$bucketAuto requires 'groupBy' and 'buckets' to be specified");
        }

        var keys = new BsonValue[items.Count];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = Projection.Own(items[i].GetOrNull(field));
        }
        Array.Sort(keys, BsonOrder.Compare);

        var output = new List<DocView>();
        long approx = Math.Max(1, (long)Math.Round((double)keys.Length / buckets, MidpointRounding.AwayFromZero));
        int pos = 0;
        for (long bucket = 1; bucket <= buckets && pos < keys.Length; bucket++)
        {
            var min = keys[pos];
            int start = pos++;
            bool isLast = bucket == buckets;
            while (pos < keys.Length && (isLast || pos - start < approx))
            {
                pos++;
            }
            while (pos < keys.Length && BsonOrder.Compare(keys[pos - 1], keys[pos]) == 0)
            {
                pos++;
            }
            var max = pos < keys.Length ? keys[pos] : keys[pos - 1];
            output.Add(DocView.Of(new BsonDocument
            {
                { "_id", new BsonDocument { { "min", min }, { "max", max } } },
                { "count", pos - start },
            }));
        }
        return output;
    }
}
