using MongoDB.Bson;

namespace EtlFast.Core.Sources;

/// <summary>
/// A slice of one type group's <c>_id</c> values: from <see cref="From"/> (inclusive; null = the group's
/// low end) to <see cref="To"/> (exclusive; null = the group's high end). The ranges of a group are
/// disjoint and cover it whole, values beyond the sampled minimum and maximum included, so a document
/// that exists for the whole run is read exactly once whatever is inserted or deleted meanwhile.
/// </summary>
internal sealed class MongoRange(int number, MongoTypeGroup group, BsonValue? from, BsonValue? to)
{
    /// <summary>Position in the plan (and so in <c>_id</c> order); the high bits of its chunks' indexes.</summary>
    public int Number { get; } = number;

    public MongoTypeGroup Group { get; } = group;

    public BsonValue? From { get; } = from;

    public BsonValue? To { get; } = to;

    /// <summary>
    /// The <c>_id</c> condition of the range, or of its rest after <paramref name="after"/> (the last
    /// <c>_id</c> handed out, exclusive); null when nothing can be left (a single-value group already read).
    /// </summary>
    public BsonValue? IdCondition(BsonValue? after)
    {
        if (Group.Only is { } only)
        {
            return after is null ? only : null;
        }
        return after is not null
            ? MongoTypeGroup.Bounds(after, To, Group.High, lowerExclusive: true)
            : MongoTypeGroup.Bounds(From ?? Group.Low!, To, Group.High);
    }

    /// <summary>The find filter: the range's condition on <c>_id</c>, and the user's filter if any.</summary>
    public BsonDocument? Filter(BsonDocument? user, BsonValue? after)
    {
        BsonDocument range;
        if (Group.Unranged)
        {
            // The reader never reopens such a range after an _id (MongoRangeReader): that needs the comparisons it cannot trust.
            range = after is null ? Group.Filter() : throw new InvalidOperationException($"_id range {this} cannot be reopened after an _id");
        }
        else if (IdCondition(after) is { } condition)
        {
            range = new BsonDocument("_id", condition);
        }
        else
        {
            return null;
        }
        bool noUser = user is null || user.ElementCount == 0;
        return noUser ? range : range.ElementCount == 0 ? user : new BsonDocument("$and", new BsonArray { user, range });
    }

    public override string ToString() =>
        Group.Only is not null || Group.Unranged ? $"#{Number} {Group.Name}" : $"#{Number} {Group.Name} [{From?.ToString() ?? "start"}, {To?.ToString() ?? "end"})";
}
