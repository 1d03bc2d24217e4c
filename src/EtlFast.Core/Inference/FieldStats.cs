using EtlFast.Bson;

namespace EtlFast.Core.Inference;

/// <summary>
/// What the sample showed of one field name in one kind of object (the documents, the subdocuments at
/// a path, or the items of an array): in how many objects it was present, and how many of its values
/// were of each BSON type. Documents and arrays among its values keep the statistics of their own fields
/// and items, so the whole sample becomes one tree.
/// </summary>
public sealed class FieldStats(string name)
{
    private readonly long[] _types = new long[TypeSlots];
    private HashSet<string>? _distinct = IsKeyName(name) ? new HashSet<string>(StringComparer.Ordinal) : null;

    private const int TypeSlots = 0x15;      // 0x01..0x13 as they are, MaxKey and MinKey folded onto 0x14
    private const int MaxDistinct = 1_000_000;

    /// <summary>The field name as stored (any UTF-8, possibly not usable in a mapping path).</summary>
    public string Name { get; } = name;

    /// <summary>Objects in which the field is present (a name repeated inside one object counts once).</summary>
    public long Present { get; internal set; }

    /// <summary>Values that were BSON null.</summary>
    public long Nulls => _types[(int)BsonType.Null];

    /// <summary>Binary values of subtype 4 (UUID), which a <c>uuid</c> column takes; other binaries need <c>bytea</c>.</summary>
    public long UuidBinaries { get; internal set; }

    /// <summary>String values holding a NUL character, which PostgreSQL text and jsonb cannot store.</summary>
    public long StringsWithNul { get; internal set; }

    /// <summary>Objects that held this name more than once (MongoDB's drivers never write that; the load refuses it).</summary>
    public long Repeated { get; internal set; }

    /// <summary>Doubles that are NaN or infinite, which <c>numeric</c> refuses.</summary>
    public long NonFiniteDoubles { get; internal set; }

    /// <summary>The fields of the values that were documents; null when none was.</summary>
    public ObjectStats? Object { get; internal set; }

    /// <summary>The items of the values that were arrays; null when none was.</summary>
    public ArrayStats? Array { get; internal set; }

    /// <summary>
    /// For fields named <c>_id</c> or <c>id</c>: true while no two scalar values in the sample were equal
    /// (a candidate key for an array's items).
    /// </summary>
    public bool AllDistinct => _distinct is not null && _distinct.Count == Present - Nulls;

    internal long LastVisit { get; set; } = -1;

    internal long LastRepeat { get; set; } = -1;

    /// <summary>How many values had this type (MaxKey and MinKey share one count).</summary>
    public long Count(BsonType type) => _types[Slot(type)];

    /// <summary>The non-null types seen, most frequent first.</summary>
    public List<(BsonType Type, long Count)> Types()
    {
        var list = new List<(BsonType, long)>();
        for (int i = 1; i < TypeSlots; i++)
        {
            if (i != (int)BsonType.Null && _types[i] > 0)
            {
                list.Add((i == 0x14 ? BsonType.MaxKey : (BsonType)i, _types[i]));
            }
        }
        list.Sort((a, b) => b.Item2.CompareTo(a.Item2));
        return list;
    }

    /// <summary>Values that were not null.</summary>
    public long NonNull
    {
        get
        {
            long n = 0;
            for (int i = 1; i < TypeSlots; i++)
            {
                n += i == (int)BsonType.Null ? 0 : _types[i];
            }
            return n;
        }
    }

    internal void CountType(BsonType type) => _types[Slot(type)]++;

    /// <summary>Remembers a scalar key value (type byte and encoding); a repeat ends the candidacy.</summary>
    internal void Remember(BsonType type, ReadOnlySpan<byte> value)
    {
        if (_distinct is null)
        {
            return;
        }
        if (type is not (BsonType.String or BsonType.ObjectId or BsonType.Int32 or BsonType.Int64 or BsonType.Binary)
            || _distinct.Count >= MaxDistinct
            || !_distinct.Add(((byte)type).ToString("x2", System.Globalization.CultureInfo.InvariantCulture) + Convert.ToHexString(value)))
        {
            _distinct = null;
        }
    }

    private static bool IsKeyName(string name) => name is "_id" or "id";

    private static int Slot(BsonType type) => type switch
    {
        BsonType.MaxKey or BsonType.MinKey => 0x14,
        _ => (int)type,
    };
}

/// <summary>The fields seen in one kind of object, in the order they were first met.</summary>
public sealed class ObjectStats
{
    private readonly Dictionary<string, FieldStats> _byName = new(StringComparer.Ordinal);

    /// <summary>Objects of this kind walked.</summary>
    public long Count { get; internal set; }

    /// <summary>Their total encoded size.</summary>
    public long Bytes { get; internal set; }

    public List<FieldStats> Fields { get; } = [];

    public FieldStats? Find(string name) => _byName.GetValueOrDefault(name);

    internal FieldStats Field(string name)
    {
        if (!_byName.TryGetValue(name, out FieldStats? f))
        {
            f = new FieldStats(name);
            _byName.Add(name, f);
            Fields.Add(f);
        }
        return f;
    }
}

/// <summary>The arrays found at one field: how long they were, and their items as one pseudo-field.</summary>
public sealed class ArrayStats
{
    /// <summary>Array values seen.</summary>
    public long Arrays { get; internal set; }

    /// <summary>Of those, how many were empty.</summary>
    public long Empty { get; internal set; }

    /// <summary>The longest array.</summary>
    public int MaxLength { get; internal set; }

    /// <summary>The items of all the arrays: <see cref="FieldStats.Present"/> counts them, by type.</summary>
    public FieldStats Items { get; } = new("[]");
}
