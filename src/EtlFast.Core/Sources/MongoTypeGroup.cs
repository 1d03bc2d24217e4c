using MongoDB.Bson;

namespace EtlFast.Core.Sources;

/// <summary>How the <c>_id</c> values of one type group are cut into ranges.</summary>
internal enum MongoSplit
{
    /// <summary>One range: the group holds one value (MinKey, null, NaN, MaxKey) or two (booleans).</summary>
    None,
    /// <summary>Arithmetic between the smallest and largest number (64-bit integers, else doubles).</summary>
    Numbers,
    /// <summary>Arithmetic on the 96-bit value (timestamp, then random and counter bytes).</summary>
    ObjectId,
    /// <summary>Arithmetic on the milliseconds.</summary>
    Date,
    /// <summary>Arithmetic on the unsigned 64-bit value.</summary>
    Timestamp,
    /// <summary><c>$bucketAuto</c> on <c>_id</c>: strings, documents, binary, code (no arithmetic fits them).</summary>
    Buckets,
}

/// <summary>
/// One bracket of MongoDB's cross-type order, as far as an <c>_id</c> can be of it. A comparison
/// operator never leaves its operand's bracket (<c>{$gte: 3, $lt: "b"}</c> matches nothing), so every
/// range is confined to one group and written with bounds of that group's type: the group's
/// <see cref="Low"/> (inclusive, the smallest value of the bracket) and, where the bracket has one, its
/// <see cref="High"/> (inclusive); inside those, split points. Groups holding a single value are read
/// with an equality (<see cref="Only"/>). The list is in MongoDB's order, so range numbers follow the
/// <c>_id</c> index. Types an <c>_id</c> cannot have (array, regex, undefined) and the deprecated
/// DBPointer are not listed.
/// </summary>
internal sealed class MongoTypeGroup
{
    private readonly BsonDocument? _unranged;

    private MongoTypeGroup(string name, BsonValue? only, BsonValue? low, BsonValue? high, MongoSplit split)
    {
        Name = name;
        Only = only;
        Low = low;
        High = high;
        Split = split;
    }

    private MongoTypeGroup(string name, BsonDocument filter)
    {
        Name = name;
        Split = MongoSplit.None;
        _unranged = filter;
    }

    public string Name { get; }

    /// <summary>The one value of a single-value group, matched by equality.</summary>
    public BsonValue? Only { get; }

    /// <summary>The smallest value of the bracket (inclusive lower bound of the first range).</summary>
    public BsonValue? Low { get; }

    /// <summary>The largest value of the bracket when it has one (inclusive upper bound of the last range); null: the bracket's own end.</summary>
    public BsonValue? High { get; }

    public MongoSplit Split { get; }

    /// <summary>
    /// Not a bracket of the order but what a server's range queries miss (<see cref="Rest"/>) or the
    /// whole collection (<see cref="Whole"/>): read with one query, never split, and never reopened after
    /// an <c>_id</c>, since the server's comparisons are what cannot be trusted there.
    /// </summary>
    public bool Unranged => _unranged is not null;

    /// <summary>The whole group: <c>{_id: only}</c> or <c>{_id: {$gte: low[, $lte: high]}}</c> (an unranged group: its own filter).</summary>
    public BsonDocument Filter() => _unranged is not null ? (BsonDocument)_unranged.DeepClone() : new("_id", Only ?? Bounds(Low!, null, High));

    /// <summary><c>{$gte|$gt: lower, $lt: upper | $lte: high}</c> for an <c>_id</c> condition.</summary>
    public static BsonDocument Bounds(BsonValue lower, BsonValue? upperExclusive, BsonValue? upperInclusive, bool lowerExclusive = false)
    {
        var condition = new BsonDocument(lowerExclusive ? "$gt" : "$gte", lower);
        if (upperExclusive is not null)
        {
            condition.Add("$lt", upperExclusive);
        }
        else if (upperInclusive is not null)
        {
            condition.Add("$lte", upperInclusive);
        }
        return condition;
    }

    /// <summary>
    /// Every group, in MongoDB's order. NaN sorts below every other number and <c>{$gte: -Infinity}</c>
    /// does not match it (mongod), so it is a group of its own; numbers of every width (int32, int64,
    /// double, decimal128) compare by value and form one group, as do strings and symbols.
    /// </summary>
    public static IReadOnlyList<MongoTypeGroup> All { get; } =
    [
        new("MinKey", BsonMinKey.Value, null, null, MongoSplit.None),
        new("null", BsonNull.Value, null, null, MongoSplit.None),
        new("NaN", new BsonDouble(double.NaN), null, null, MongoSplit.None),
        new("number", null, new BsonDouble(double.NegativeInfinity), new BsonDouble(double.PositiveInfinity), MongoSplit.Numbers),
        new("string", null, new BsonString(""), null, MongoSplit.Buckets),
        new("document", null, new BsonDocument(), null, MongoSplit.Buckets),
        new("binary", null, new BsonBinaryData([], BsonBinarySubType.Binary), null, MongoSplit.Buckets),
        new("ObjectId", null, new BsonObjectId(ObjectId.Empty), null, MongoSplit.ObjectId),
        new("bool", null, BsonBoolean.False, null, MongoSplit.None),
        new("date", null, new BsonDateTime(long.MinValue), null, MongoSplit.Date),
        new("timestamp", null, new BsonTimestamp(0), null, MongoSplit.Timestamp),
        new("javascript", null, new BsonJavaScript(""), null, MongoSplit.Buckets),
        new("javascriptWithScope", null, new BsonJavaScriptWithScope("", []), null, MongoSplit.Buckets),
        new("MaxKey", BsonMaxKey.Value, null, null, MongoSplit.None),
    ];

    /// <summary>
    /// The documents no group's condition matches, <c>{$nor: [every group's filter]}</c>: none on mongod,
    /// but a server whose comparisons do not follow MongoDB's cross-type order (jongodb matches no
    /// embedded-document <c>_id</c> with <c>{$gte: {}}</c>) leaves some there. Disjoint from the groups by
    /// construction, whatever the server's order.
    /// </summary>
    public static MongoTypeGroup Rest { get; } = new("(the documents the _id ranges miss)", new BsonDocument("$nor", new BsonArray(All.Select(g => g.Filter()))));

    /// <summary>The whole collection, when the counts of the groups and of <see cref="Rest"/> do not add up to the collection's.</summary>
    public static MongoTypeGroup Whole { get; } = new("(the whole collection)", []);
}
