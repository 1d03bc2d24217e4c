using MongoDB.Bson;

namespace EtlFast.WireServer.Query;

/// <summary>
/// Conservative `_id` bounds drawn from a filter, so a chunk query binary-searches the sorted
/// collection instead of scanning it. Every matching document lies within the bounds; the filter
/// is still applied to each document inside them.
/// </summary>
internal sealed class IdBounds
{
    public static readonly IdBounds None = new();

    public List<IdBound> Lower { get; } = [];

    public List<IdBound> Upper { get; } = [];
}

/// <summary>A value bound (inclusive or not), or the edge of a type bracket (query comparisons never cross one).</summary>
internal readonly record struct IdBound(BsonValue? Value, bool Inclusive, int BracketRank)
{
    public static IdBound At(BsonValue value, bool inclusive) => new(value, inclusive, 0);

    public static IdBound Bracket(int rank) => new(null, true, rank);

    public bool AdmitsAsLower(BsonValue id)
    {
        if (Value is null)
        {
            return BsonOrder.Rank(id) >= BracketRank;
        }
        int c = BsonOrder.Compare(id, Value);
        return Inclusive ? c >= 0 : c > 0;
    }

    public bool AdmitsAsUpper(BsonValue id)
    {
        if (Value is null)
        {
            return BsonOrder.Rank(id) <= BracketRank;
        }
        int c = BsonOrder.Compare(id, Value);
        return Inclusive ? c <= 0 : c < 0;
    }
}
