using MongoDB.Bson;

namespace EtlFast.WireServer.Query;

/// <summary>
/// MongoDB's cross-type value order (the order of an `_id` index and of $sort):
/// MinKey &lt; undefined &lt; null &lt; numbers &lt; strings &lt; documents &lt; arrays &lt; binData &lt; ObjectId
/// &lt; bool &lt; date &lt; timestamp &lt; regex &lt; code &lt; code with scope &lt; MaxKey.
/// Numbers of every width compare by value, so 1, 1L and 1.0 are the same key.
/// </summary>
public static class BsonOrder
{
    /// <summary>The canonical type rank mongod uses (canonicalizeBSONType); equal ranks form a bracket.</summary>
    public static int Rank(BsonValue value) => value.BsonType switch
    {
        BsonType.MinKey => -1,
        BsonType.Undefined => 0,
        BsonType.Null => 5,
        BsonType.Int32 or BsonType.Int64 or BsonType.Double or BsonType.Decimal128 => 10,
        BsonType.String or BsonType.Symbol => 15,
        BsonType.Document => 20,
        BsonType.Array => 25,
        BsonType.Binary => 30,
        BsonType.ObjectId => 35,
        BsonType.Boolean => 40,
        BsonType.DateTime => 45,
        BsonType.Timestamp => 47,
        BsonType.RegularExpression => 50,
        BsonType.JavaScript => 60,
        BsonType.JavaScriptWithScope => 65,
        BsonType.MaxKey => 127,
        _ => throw new NotSupportedException($"BSON type {value.BsonType} has no place in MongoDB's order"),
    };

    public static int Compare(BsonValue left, BsonValue right)
    {
        int lr = Rank(left), rr = Rank(right);
        if (lr != rr)
        {
            return lr < rr ? -1 : 1;
        }
        return lr switch
        {
            10 => CompareNumbers(left, right),
            15 => CompareStrings(StringOf(left), StringOf(right)),
            20 => CompareDocuments(left.AsBsonDocument, right.AsBsonDocument),
            25 => CompareArrays(left.AsBsonArray, right.AsBsonArray),
            30 => CompareBinary(left.AsBsonBinaryData, right.AsBsonBinaryData),
            35 => left.AsObjectId.CompareTo(right.AsObjectId),
            40 => left.AsBoolean.CompareTo(right.AsBoolean),
            45 => left.AsBsonDateTime.MillisecondsSinceEpoch.CompareTo(right.AsBsonDateTime.MillisecondsSinceEpoch),
            // Timestamps compare as unsigned 64-bit integers.
            47 => ((ulong)left.AsBsonTimestamp.Value).CompareTo((ulong)right.AsBsonTimestamp.Value),
            50 => CompareRegex(left.AsBsonRegularExpression, right.AsBsonRegularExpression),
            60 => CompareStrings(left.AsBsonJavaScript.Code, right.AsBsonJavaScript.Code),
            65 => CompareCodeWithScope(left.AsBsonJavaScriptWithScope, right.AsBsonJavaScriptWithScope),
            _ => 0, // MinKey, MaxKey, undefined and null each hold one value
        };
    }

    /// <summary>Documents compare element by element: type rank, then field name, then value; shorter first.</summary>
    public static int CompareDocuments(BsonDocument left, BsonDocument right)
    {
        using var l = left.GetEnumerator();
        using var r = right.GetEnumerator();
        while (true)
        {
            bool lm = l.MoveNext(), rm = r.MoveNext();
            if (!lm || !rm)
            {
                return lm == rm ? 0 : (lm ? 1 : -1);
            }
            int c = CompareElement(l.Current.Name, l.Current.Value, r.Current.Name, r.Current.Value);
            if (c != 0)
            {
                return c;
            }
        }
    }

    private static int CompareArrays(BsonArray left, BsonArray right)
    {
        // Arrays compare as documents whose field names are "0", "1", ...; the names always match.
        int n = Math.Min(left.Count, right.Count);
        for (int i = 0; i < n; i++)
        {
            int c = CompareElement("", left[i], "", right[i]);
            if (c != 0)
            {
                return c;
            }
        }
        return left.Count.CompareTo(right.Count);
    }

    private static int CompareElement(string leftName, BsonValue left, string rightName, BsonValue right)
    {
        int lr = Rank(left), rr = Rank(right);
        if (lr != rr)
        {
            return lr < rr ? -1 : 1;
        }
        int c = CompareStrings(leftName, rightName);
        return c != 0 ? c : Compare(left, right);
    }

    private static string StringOf(BsonValue value) =>
        value.BsonType == BsonType.Symbol ? value.AsBsonSymbol.Name : value.AsString;

    /// <summary>Strings compare as their UTF-8 bytes (the simple collation), i.e. by code point.</summary>
    public static int CompareStrings(string left, string right)
    {
        var l = left.EnumerateRunes();
        var r = right.EnumerateRunes();
        while (true)
        {
            bool lm = l.MoveNext(), rm = r.MoveNext();
            if (!lm || !rm)
            {
                return lm == rm ? 0 : (lm ? 1 : -1);
            }
            int c = l.Current.Value.CompareTo(r.Current.Value);
            if (c != 0)
            {
                return c;
            }
        }
    }

    private static int CompareBinary(BsonBinaryData left, BsonBinaryData right)
    {
        // mongod: length first, then the subtype byte, then the bytes.
        int c = left.Bytes.Length.CompareTo(right.Bytes.Length);
        if (c != 0)
        {
            return c;
        }
        c = ((byte)left.SubType).CompareTo((byte)right.SubType);
        return c != 0 ? c : left.Bytes.AsSpan().SequenceCompareTo(right.Bytes);
    }

    private static int CompareRegex(BsonRegularExpression left, BsonRegularExpression right)
    {
        int c = CompareStrings(left.Pattern, right.Pattern);
        return c != 0 ? c : CompareStrings(left.Options, right.Options);
    }

    private static int CompareCodeWithScope(BsonJavaScriptWithScope left, BsonJavaScriptWithScope right)
    {
        int c = CompareStrings(left.Code, right.Code);
        return c != 0 ? c : CompareDocuments(left.Scope, right.Scope);
    }

    private static int CompareNumbers(BsonValue left, BsonValue right)
    {
        if (left.BsonType == BsonType.Decimal128 || right.BsonType == BsonType.Decimal128)
        {
            return CompareDecimals(ToDecimal(left), ToDecimal(right));
        }
        if (left.BsonType == BsonType.Double || right.BsonType == BsonType.Double)
        {
            if (left.BsonType == BsonType.Double && right.BsonType == BsonType.Double)
            {
                return CompareDoubles(left.AsDouble, right.AsDouble);
            }
            return left.BsonType == BsonType.Double
                ? -CompareLongToDouble(right.ToInt64(), left.AsDouble)
                : CompareLongToDouble(left.ToInt64(), right.AsDouble);
        }
        return left.ToInt64().CompareTo(right.ToInt64());
    }

    /// <summary>NaN sorts below every other number and equals itself, as in mongod.</summary>
    private static int CompareDoubles(double l, double r)
    {
        if (double.IsNaN(l) || double.IsNaN(r))
        {
            return double.IsNaN(l) == double.IsNaN(r) ? 0 : (double.IsNaN(l) ? -1 : 1);
        }
        return l < r ? -1 : (l > r ? 1 : 0);
    }

    /// <summary>Exact comparison (no rounding of the long to a double).</summary>
    private static int CompareLongToDouble(long l, double d)
    {
        if (double.IsNaN(d))
        {
            return 1;
        }
        const double TwoTo63 = 9223372036854775808.0;
        if (d >= TwoTo63)
        {
            return -1;
        }
        if (d < -TwoTo63)
        {
            return 1;
        }
        double truncated = Math.Truncate(d);
        long t = (long)truncated;
        if (l != t)
        {
            return l < t ? -1 : 1;
        }
        double fraction = d - truncated;
        return fraction > 0 ? -1 : (fraction < 0 ? 1 : 0);
    }

    private static Decimal128 ToDecimal(BsonValue v) => v.BsonType switch
    {
        BsonType.Decimal128 => v.AsDecimal128,
        BsonType.Double => new Decimal128(v.AsDouble),
        _ => new Decimal128(v.ToInt64()),
    };

    private static int CompareDecimals(Decimal128 l, Decimal128 r)
    {
        bool ln = Decimal128.IsNaN(l), rn = Decimal128.IsNaN(r);
        if (ln || rn)
        {
            return ln == rn ? 0 : (ln ? -1 : 1);
        }
        return l.CompareTo(r);
    }
}
