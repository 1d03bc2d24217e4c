using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Encodings.Web;
using EtlFast.Core.Mapping;
using MongoDB.Bson;
using MongoDB.Bson.IO;
using MongoDB.Bson.Serialization;
using MongoDB.Bson.Serialization.Serializers;

namespace EtlFast.Core.Verify;

/// <summary>What a value becomes in a column, as the mapping's rules say: text PostgreSQL can parse, or why not.</summary>
internal enum ValueKind : byte
{
    /// <summary><see cref="ExpectedValue.Text"/> holds the value as a literal of the column's type (null: SQL NULL).</summary>
    Value,
    Missing,
    Null,
    Mismatch,
    /// <summary>An accepted type that cannot be stored exactly: the load should have stopped.</summary>
    Unstorable,
}

internal readonly record struct ExpectedValue(ValueKind Kind, string? Text, string? Why = null)
{
    public static ExpectedValue Of(string? text) => new(ValueKind.Value, text);
    public static ExpectedValue Unstorable(string why) => new(ValueKind.Unstorable, null, why);
    public static readonly ExpectedValue Mismatch = new(ValueKind.Mismatch, null);
}

/// <summary>
/// The per-type conversions of docs/mapping.md ("Column types and the BSON values they accept"),
/// written a second time over MongoDB.Bson's <see cref="BsonValue"/> and rendered as text literals:
/// deliberately plain and independent of the load's encoder (src/EtlFast.Core/Engine), so that a
/// conversion bug there does not hide here too. PostgreSQL then parses each literal as the column's
/// type, so the comparison is between two texts PostgreSQL printed.
/// </summary>
internal static class SampleValues
{
    private const long MillisPerDay = 86_400_000;

    public static ExpectedValue Convert(BsonValue v, ColumnMapping column)
    {
        switch (column.Type)
        {
            case PgType.SmallInt or PgType.Integer or PgType.BigInt:
                return Integer(v, out long x) is { } problem ? problem : IntoInteger(x, column.Type);
            case PgType.Real:
                if (v.BsonType == BsonType.Double)
                {
                    double d = v.AsDouble;
                    return (float)d == d || double.IsNaN(d) ? ExpectedValue.Of(Float(d)) : ExpectedValue.Unstorable("not exactly a real");
                }
                return v.BsonType is BsonType.Int32 or BsonType.Int64
                    ? Math.Abs(v.ToInt64()) <= 1 << 24 ? ExpectedValue.Of(Int(v.ToInt64())) : ExpectedValue.Unstorable("not exactly a real")
                    : ExpectedValue.Mismatch;
            case PgType.DoublePrecision:
                return v.BsonType switch
                {
                    BsonType.Double => ExpectedValue.Of(Float(v.AsDouble)),
                    BsonType.Int32 => ExpectedValue.Of(Int(v.AsInt32)),
                    BsonType.Int64 => Math.Abs(v.AsInt64) <= 1L << 53 ? ExpectedValue.Of(Int(v.AsInt64)) : ExpectedValue.Unstorable("not exactly a double"),
                    _ => ExpectedValue.Mismatch,
                };
            case PgType.Numeric:
                return Numeric(v, Scale(column.TypeModifier));
            case PgType.Boolean:
                return v.BsonType == BsonType.Boolean ? ExpectedValue.Of(v.AsBoolean ? "true" : "false") : ExpectedValue.Mismatch;
            case PgType.Text or PgType.Varchar:
                string? s = v.BsonType switch
                {
                    BsonType.String => v.AsString,
                    BsonType.Symbol => v.AsBsonSymbol.Name,
                    BsonType.JavaScript => v.AsBsonJavaScript.Code,
                    BsonType.ObjectId => v.AsObjectId.ToString(),
                    _ => null,
                };
                return s is null ? ExpectedValue.Mismatch
                    : s.Contains('\0', StringComparison.Ordinal) ? ExpectedValue.Unstorable("a NUL in text") : ExpectedValue.Of(s);
            case PgType.TimestampTz or PgType.Timestamp:
                long? ms = v.BsonType switch
                {
                    BsonType.DateTime => v.AsBsonDateTime.MillisecondsSinceEpoch,
                    BsonType.Timestamp => v.AsBsonTimestamp.Timestamp * 1000L,
                    _ => null,
                };
                return ms is { } m ? Time(m, column.Type == PgType.TimestampTz ? "yyyy-MM-dd'T'HH:mm:ss.fff'Z'" : "yyyy-MM-dd'T'HH:mm:ss.fff") : ExpectedValue.Mismatch;
            case PgType.Date:
                if (v.BsonType != BsonType.DateTime)
                {
                    return ExpectedValue.Mismatch;
                }
                long day = v.AsBsonDateTime.MillisecondsSinceEpoch;
                return day % MillisPerDay != 0 ? ExpectedValue.Unstorable("a time of day in a date") : Time(day, "yyyy-MM-dd");
            case PgType.Jsonb:
                string json = RelaxedJson(v);
                return json.Contains("\\u0000", StringComparison.Ordinal) ? ExpectedValue.Unstorable("a NUL in json") : ExpectedValue.Of(json);
            case PgType.Bytea:
                return v.BsonType == BsonType.Binary ? ExpectedValue.Of("\\x" + System.Convert.ToHexStringLower(v.AsBsonBinaryData.Bytes)) : ExpectedValue.Mismatch;
            case PgType.Uuid:
                if (v.BsonType == BsonType.Binary)
                {
                    BsonBinaryData b = v.AsBsonBinaryData;
                    return b.SubType != BsonBinarySubType.UuidStandard ? ExpectedValue.Mismatch
                        : b.Bytes.Length != 16 ? ExpectedValue.Unstorable("not 16 bytes")
                        : ExpectedValue.Of(new Guid(b.Bytes, bigEndian: true).ToString("D"));
                }
                return v.BsonType != BsonType.String ? ExpectedValue.Mismatch
                    : Guid.TryParseExact(v.AsString, "D", out Guid g) ? ExpectedValue.Of(g.ToString("D")) : ExpectedValue.Unstorable("not a UUID");
            default:
                return ExpectedValue.Unstorable($"--sample does not check {column.Type}");
        }
    }

    /// <summary>An int32, an int64, or a double that holds a whole number within the range of a long.</summary>
    public static ExpectedValue? Integer(BsonValue v, out long x)
    {
        x = 0;
        switch (v.BsonType)
        {
            case BsonType.Int32 or BsonType.Int64:
                x = v.ToInt64();
                return null;
            case BsonType.Double:
                double d = v.AsDouble;
                if (!double.IsFinite(d) || Math.Floor(d) != d)
                {
                    return ExpectedValue.Unstorable("not a whole number");
                }
                if (d < -9.223372036854775808e18 || d >= 9.223372036854775808e18)
                {
                    return ExpectedValue.Unstorable("out of range");
                }
                x = (long)d;
                return null;
            default:
                return ExpectedValue.Mismatch;
        }
    }

    /// <summary>A whole number into an integer, numeric or text column (<c>$ordinal</c>, arithmetic, a BSON integer).</summary>
    public static ExpectedValue IntoInteger(long x, PgType type) => type switch
    {
        PgType.SmallInt when x is < short.MinValue or > short.MaxValue => ExpectedValue.Unstorable("out of range for smallint"),
        PgType.Integer when x is < int.MinValue or > int.MaxValue => ExpectedValue.Unstorable("out of range for integer"),
        PgType.SmallInt or PgType.Integer or PgType.BigInt or PgType.Numeric or PgType.Text or PgType.Varchar => ExpectedValue.Of(Int(x)),
        _ => ExpectedValue.Mismatch,
    };

    private static ExpectedValue Numeric(BsonValue v, int scale)
    {
        string text;
        switch (v.BsonType)
        {
            case BsonType.Int32 or BsonType.Int64:
                return ExpectedValue.Of(Int(v.ToInt64()));
            case BsonType.Double:
                if (!double.IsFinite(v.AsDouble))
                {
                    return ExpectedValue.Unstorable("NaN or infinite");
                }
                text = v.AsDouble.ToString("R", CultureInfo.InvariantCulture);
                break;
            case BsonType.Decimal128:
                Decimal128 d = v.AsDecimal128;
                if (Decimal128.IsNaN(d) || Decimal128.IsInfinity(d))
                {
                    return ExpectedValue.Unstorable("NaN or infinite");
                }
                text = d.ToString();
                break;
            default:
                return ExpectedValue.Mismatch;
        }
        return scale >= 0 && FractionDigits(text) > scale ? ExpectedValue.Unstorable("more decimal places than the column keeps") : ExpectedValue.Of(text);
    }

    /// <summary>Significant digits after the point of a decimal literal such as "1.250E+1" (trailing zeros count only where written).</summary>
    private static int FractionDigits(string text)
    {
        int e = text.IndexOfAny(['e', 'E']);
        int exponent = e < 0 ? 0 : int.Parse(text.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        string mantissa = e < 0 ? text : text[..e];
        int dot = mantissa.IndexOf('.', StringComparison.Ordinal);
        string fraction = dot < 0 ? "" : mantissa[(dot + 1)..];
        fraction = fraction.TrimEnd('0'); // zeros a scale drops lose nothing
        return Math.Max(0, fraction.Length - exponent);
    }

    /// <summary>For numeric(p,s), s; -1 when the column keeps any scale.</summary>
    private static int Scale(string modifier)
    {
        int comma = modifier.IndexOf(',', StringComparison.Ordinal);
        return modifier.Length == 0 ? -1
            : comma < 0 ? 0
            : int.Parse(modifier.AsSpan(comma + 1, modifier.Length - comma - 2).Trim(), CultureInfo.InvariantCulture);
    }

    private static ExpectedValue Time(long unixMillis, string format)
    {
        if (unixMillis < -62_135_596_800_000 || unixMillis > 253_402_300_799_999)
        {
            return ExpectedValue.Unstorable("--sample renders only years 1 to 9999");
        }
        return ExpectedValue.Of(DateTimeOffset.FromUnixTimeMilliseconds(unixMillis).UtcDateTime.ToString(format, CultureInfo.InvariantCulture));
    }

    private static string Int(long x) => x.ToString(CultureInfo.InvariantCulture);

    /// <summary>Shortest round-trip text; "NaN", "Infinity", "-Infinity" as PostgreSQL spells them.</summary>
    private static string Float(double d) => d.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>
    /// Relaxed Extended JSON, written out here: documents, arrays, strings, numbers (a double as its
    /// shortest round-trip text, ".0" added when integral, as docs/mapping.md promises), booleans,
    /// null, dates, ObjectIds, decimals and binaries; the rarer types through MongoDB.Bson's own writer.
    /// (MongoDB.Bson's writer prints doubles with 17 digits, which jsonb would keep as a different text.)
    /// </summary>
    public static string RelaxedJson(BsonValue v)
    {
        var sb = new StringBuilder();
        AppendJson(sb, v);
        return sb.ToString();
    }

    private static void AppendJson(StringBuilder sb, BsonValue v)
    {
        switch (v.BsonType)
        {
            case BsonType.Document:
                sb.Append('{');
                bool first = true;
                foreach (BsonElement e in v.AsBsonDocument)
                {
                    sb.Append(first ? "" : ",").Append(JsonString(e.Name)).Append(':');
                    AppendJson(sb, e.Value);
                    first = false;
                }
                sb.Append('}');
                break;
            case BsonType.Array:
                sb.Append('[');
                for (int i = 0; i < v.AsBsonArray.Count; i++)
                {
                    sb.Append(i == 0 ? "" : ",");
                    AppendJson(sb, v.AsBsonArray[i]);
                }
                sb.Append(']');
                break;
            case BsonType.String:
                sb.Append(JsonString(v.AsString));
                break;
            case BsonType.Int32 or BsonType.Int64:
                sb.Append(Int(v.ToInt64()));
                break;
            case BsonType.Double when double.IsFinite(v.AsDouble):
                string d = Float(v.AsDouble);
                sb.Append(d).Append(d.Contains('.', StringComparison.Ordinal) || d.Contains('E', StringComparison.Ordinal) ? "" : ".0");
                break;
            case BsonType.Boolean:
                sb.Append(v.AsBoolean ? "true" : "false");
                break;
            case BsonType.Null:
                sb.Append("null");
                break;
            case BsonType.ObjectId:
                sb.Append("{\"$oid\":\"").Append(v.AsObjectId.ToString()).Append("\"}");
                break;
            case BsonType.Decimal128:
                sb.Append("{\"$numberDecimal\":\"").Append(v.AsDecimal128.ToString()).Append("\"}");
                break;
            case BsonType.DateTime:
                long ms = v.AsBsonDateTime.MillisecondsSinceEpoch;
                sb.Append(ms is >= 0 and <= 253_402_300_799_999
                    ? $"{{\"$date\":\"{DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)}\"}}"
                    : $"{{\"$date\":{{\"$numberLong\":\"{Int(ms)}\"}}}}");
                break;
            case BsonType.Binary:
                BsonBinaryData b = v.AsBsonBinaryData;
                sb.Append($"{{\"$binary\":{{\"base64\":\"{System.Convert.ToBase64String(b.Bytes)}\",\"subType\":\"{(byte)b.SubType:x2}\"}}}}");
                break;
            default:
                using (var text = new StringWriter(CultureInfo.InvariantCulture))
                {
                    using (var writer = new JsonWriter(text, new JsonWriterSettings { OutputMode = JsonOutputMode.RelaxedExtendedJson }))
                    {
                        BsonValueSerializer.Instance.Serialize(BsonSerializationContext.CreateRoot(writer), v);
                    }
                    sb.Append(text.ToString());
                }
                break;
        }
    }

    private static string JsonString(string s) => "\"" + JsonEncodedText.Encode(s, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).Value + "\"";

    /// <summary>A column's <c>default</c> (JSON in the mapping) as a literal of its type; null for <c>null</c>.</summary>
    public static string? Default(ColumnMapping column)
    {
        using var doc = JsonDocument.Parse(column.DefaultJson!);
        JsonElement e = doc.RootElement;
        return e.ValueKind switch
        {
            JsonValueKind.Null => null,
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            _ when column.Type is PgType.Jsonb or PgType.Json => e.GetRawText(),
            _ when column.Type is PgType.SmallInt or PgType.Integer or PgType.BigInt => Int((long)decimal.Parse(e.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture)),
            _ when column.Type == PgType.Bytea => "\\x" + System.Convert.ToHexStringLower(System.Convert.FromBase64String(e.GetString()!)),
            JsonValueKind.String => e.GetString(),
            _ => e.GetRawText(),
        };
    }
}
