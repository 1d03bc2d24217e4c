using System.Buffers.Binary;
using MongoDB.Bson;

namespace EtlFast.Core.Sources;

/// <summary>
/// Split points between a group's smallest and largest <c>_id</c> by arithmetic: evenly spaced,
/// strictly increasing, above the minimum and at most the maximum, of the group's own type. Any such
/// points give correct ranges (they only decide how even the ranges are), so a skewed key space costs
/// balance, never documents.
/// </summary>
internal static class MongoSplitPoints
{
    /// <summary>Up to <paramref name="parts"/> - 1 points, or null when arithmetic does not apply (then buckets are used).</summary>
    public static List<BsonValue>? Between(MongoSplit split, BsonValue min, BsonValue max, int parts) => split switch
    {
        MongoSplit.Numbers => Numbers(min, max, parts),
        MongoSplit.ObjectId => Unsigned(ObjectIdBits(min.AsObjectId), ObjectIdBits(max.AsObjectId), parts, v => new BsonObjectId(ObjectIdOf(v))),
        MongoSplit.Date => Unsigned(Flip(min.AsBsonDateTime.MillisecondsSinceEpoch), Flip(max.AsBsonDateTime.MillisecondsSinceEpoch), parts,
            v => new BsonDateTime(Unflip(v))),
        MongoSplit.Timestamp => Unsigned((ulong)min.AsBsonTimestamp.Value, (ulong)max.AsBsonTimestamp.Value, parts, v => new BsonTimestamp((long)(ulong)v)),
        _ => null,
    };

    private static List<BsonValue>? Numbers(BsonValue min, BsonValue max, int parts)
    {
        if (TryInt64(min, out long a) && TryInt64(max, out long b))
        {
            return Unsigned(Flip(a), Flip(b), parts, v => new BsonInt64(Unflip(v)));
        }
        double lo = ToDouble(min), hi = ToDouble(max);
        if (!double.IsFinite(lo) || !double.IsFinite(hi) || lo >= hi)
        {
            return null;
        }
        var points = new List<BsonValue>(parts - 1);
        double previous = lo;
        for (int i = 1; i < parts; i++)
        {
            double t = (double)i / parts;
            double p = (lo * (1 - t)) + (hi * t); // no overflow where hi - lo would reach infinity
            if (p > previous && p <= hi)
            {
                points.Add(new BsonDouble(p));
                previous = p;
            }
        }
        return points;
    }

    private static bool TryInt64(BsonValue v, out long value)
    {
        switch (v.BsonType)
        {
            case BsonType.Int32:
                value = v.AsInt32;
                return true;
            case BsonType.Int64:
                value = v.AsInt64;
                return true;
            case BsonType.Double when Math.Floor(v.AsDouble) == v.AsDouble && v.AsDouble >= -9.2233720368547758E18 && v.AsDouble < 9.2233720368547758E18:
                value = (long)v.AsDouble;
                return true;
            default:
                value = 0;
                return false;
        }
    }

    private static double ToDouble(BsonValue v) => v.BsonType switch
    {
        BsonType.Decimal128 => Decimal128.ToDouble(v.AsDecimal128),
        BsonType.Int32 => v.AsInt32,
        BsonType.Int64 => v.AsInt64,
        _ => v.AsDouble,
    };

    /// <summary>Points a + (b - a) * i / parts on an unsigned line (128 bits, so no product overflows).</summary>
    private static List<BsonValue> Unsigned(UInt128 a, UInt128 b, int parts, Func<UInt128, BsonValue> make)
    {
        var points = new List<BsonValue>(Math.Max(0, parts - 1));
        if (b <= a)
        {
            return points;
        }
        UInt128 span = b - a;
        UInt128 previous = a;
        for (int i = 1; i < parts; i++)
        {
            UInt128 p = a + (span * (uint)i / (uint)parts);
            if (p > previous)
            {
                points.Add(make(p));
                previous = p;
            }
        }
        return points;
    }

    /// <summary>Signed to unsigned, order kept (the sign bit flipped).</summary>
    private static ulong Flip(long v) => (ulong)v ^ 0x8000_0000_0000_0000UL;

    private static long Unflip(UInt128 v) => (long)((ulong)v ^ 0x8000_0000_0000_0000UL);

    private static UInt128 ObjectIdBits(ObjectId id)
    {
        Span<byte> bytes = stackalloc byte[16];
        bytes[..4].Clear();
        id.ToByteArray().CopyTo(bytes[4..]);
        return BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    private static ObjectId ObjectIdOf(UInt128 v)
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, v);
        return new ObjectId(bytes[4..].ToArray());
    }
}
