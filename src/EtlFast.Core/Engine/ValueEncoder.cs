using System.Buffers.Binary;
using System.Buffers.Text;
using EtlFast.Bson;
using EtlFast.Bson.Json;
using EtlFast.Core.Mapping;
using EtlFast.Core.Plan;
using EtlFast.PgCopy;

namespace EtlFast.Core.Engine;

/// <summary>Outcome of encoding one value; anything but Ok and TypeMismatch is a conversion that would lose data.</summary>
internal enum ValueStatus : byte
{
    Ok,
    TypeMismatch,
    OutOfRange,
    NotIntegral,
    Inexact,
    NulInText,
    DateOutOfRange,
    NotANumber,
    TimeOfDay,
    InvalidUuid,
    Rounded,
    /// <summary>More characters than varchar(n) holds (PostgreSQL would refuse it, or drop trailing spaces).</summary>
    TooLong,
    /// <summary>More digits before the decimal point than numeric(p,s) holds (PostgreSQL: numeric field overflow).</summary>
    NumericOverflow,
    /// <summary>A BSON timestamp with a nonzero increment, which a timestamp column would drop.</summary>
    TimestampIncrement,
    /// <summary>A subdocument holding the same key twice, into jsonb (which would keep only the last).</summary>
    RepeatedKey,
}

/// <summary>
/// Exact conversions from a BSON value to a PostgreSQL binary COPY field, switched on the column type,
/// then the BSON type. Never loses data silently: a value that does not fit is a status, not a guess.
/// </summary>
internal static class ValueEncoder
{
    private const long MillisPerDay = 86_400_000L;

    public static ValueStatus Write(ColumnPlan column, in Slot slot, ReadOnlySpan<byte> doc, long baseOffset, CopyBuffer buffer)
    {
        PgType type = column.Type;
        ReadOnlySpan<byte> v = doc.Slice(slot.ValueStart, slot.ValueLength);
        switch (type)
        {
            case PgType.BigInt or PgType.Integer or PgType.SmallInt:
                return TryGetInteger(slot, doc, out long x, out ValueStatus why) ? WriteInteger(column, x, buffer) : why;
            case PgType.DoublePrecision:
                switch (slot.Type)
                {
                    case BsonType.Double:
                        buffer.WriteFloat8(BinaryPrimitives.ReadDoubleLittleEndian(v));
                        return ValueStatus.Ok;
                    case BsonType.Int32:
                        buffer.WriteFloat8(BinaryPrimitives.ReadInt32LittleEndian(v));
                        return ValueStatus.Ok;
                    case BsonType.Int64:
                        long l = BinaryPrimitives.ReadInt64LittleEndian(v);
                        if (l is < -(1L << 53) or > (1L << 53))
                        {
                            return ValueStatus.Inexact;
                        }
                        buffer.WriteFloat8(l);
                        return ValueStatus.Ok;
                    default:
                        return ValueStatus.TypeMismatch;
                }
            case PgType.Real:
                switch (slot.Type)
                {
                    case BsonType.Double:
                        double d = BinaryPrimitives.ReadDoubleLittleEndian(v);
                        float f = (float)d;
                        if (f != d && !double.IsNaN(d))
                        {
                            return ValueStatus.Inexact;
                        }
                        buffer.WriteFloat4(f);
                        return ValueStatus.Ok;
                    case BsonType.Int32 or BsonType.Int64:
                        long i = slot.Type == BsonType.Int32 ? BinaryPrimitives.ReadInt32LittleEndian(v) : BinaryPrimitives.ReadInt64LittleEndian(v);
                        if (i is < -(1L << 24) or > (1L << 24))
                        {
                            return ValueStatus.Inexact;
                        }
                        buffer.WriteFloat4(i);
                        return ValueStatus.Ok;
                    default:
                        return ValueStatus.TypeMismatch;
                }
            case PgType.Numeric:
                return WriteNumeric(slot.Type, v, column, buffer);
            case PgType.Boolean:
                if (slot.Type != BsonType.Boolean)
                {
                    return ValueStatus.TypeMismatch;
                }
                buffer.WriteBoolean(v[0] != 0);
                return ValueStatus.Ok;
            case PgType.Text or PgType.Varchar:
                return WriteText(slot.Type, v, column.MaxChars, buffer);
            case PgType.TimestampTz or PgType.Timestamp:
            {
                long ms;
                if (slot.Type == BsonType.DateTime)
                {
                    ms = BinaryPrimitives.ReadInt64LittleEndian(v);
                }
                else if (slot.Type == BsonType.Timestamp)
                {
                    ulong ts = BinaryPrimitives.ReadUInt64LittleEndian(v);
                    if ((uint)ts != 0)
                    {
                        return ValueStatus.TimestampIncrement; // a timestamp column keeps the seconds only
                    }
                    ms = (long)(ts >> 32) * 1000;
                }
                else
                {
                    return ValueStatus.TypeMismatch;
                }
                if (!PgTime.TryFromUnixMillis(ms, out long micros))
                {
                    return ValueStatus.DateOutOfRange;
                }
                buffer.WriteTimestamp(micros + TestFaults.TimestampShiftMicros);
                return ValueStatus.Ok;
            }
            case PgType.Date:
            {
                if (slot.Type != BsonType.DateTime)
                {
                    return ValueStatus.TypeMismatch;
                }
                long ms = BinaryPrimitives.ReadInt64LittleEndian(v);
                if (ms % MillisPerDay != 0)
                {
                    return ValueStatus.TimeOfDay;
                }
                // date reaches 5874897 AD, far past timestamptz's 294276 AD: check days, not the timestamp range.
                long days = (ms / MillisPerDay) - PgTime.PgEpochUnixDays;
                if (days is < PgTime.MinDateDays or >= PgTime.EndDateDays)
                {
                    return ValueStatus.DateOutOfRange;
                }
                buffer.WriteDate((int)days);
                return ValueStatus.Ok;
            }
            case PgType.Jsonb or PgType.Json:
                return WriteJson(type == PgType.Jsonb, slot, doc, baseOffset, buffer);
            case PgType.Bytea:
            {
                if (slot.Type != BsonType.Binary)
                {
                    return ValueStatus.TypeMismatch;
                }
                BinaryPayload(v, out ReadOnlySpan<byte> data);
                buffer.WriteBytes(data);
                return ValueStatus.Ok;
            }
            case PgType.Uuid:
                return WriteUuid(slot.Type, v, buffer);
            default:
                return ValueStatus.TypeMismatch;
        }
    }

    /// <summary>
    /// An integer (a BSON integer, <c>$ordinal</c>, <c>$index</c> or arithmetic) into an integer,
    /// numeric or text column, range-checked (numeric(p,s) and varchar(n) included);
    /// <see cref="ValueStatus.OutOfRange"/> when it does not fit.
    /// </summary>
    public static ValueStatus WriteInteger(ColumnPlan column, long value, CopyBuffer buffer)
    {
        switch (column.Type)
        {
            case PgType.BigInt:
                buffer.WriteInt64(value);
                return ValueStatus.Ok;
            case PgType.Integer when value is >= int.MinValue and <= int.MaxValue:
                buffer.WriteInt32((int)value);
                return ValueStatus.Ok;
            case PgType.SmallInt when value is >= short.MinValue and <= short.MaxValue:
                buffer.WriteInt16((short)value);
                return ValueStatus.Ok;
            case PgType.Numeric:
                UInt128 magnitude = value < 0 ? (UInt128)(-(Int128)value) : (UInt128)value;
                if (!FitsIntegerDigits(column, DigitCount(magnitude)))
                {
                    return ValueStatus.OutOfRange;
                }
                PgNumeric.Write(buffer, value < 0, magnitude, 0);
                return ValueStatus.Ok;
            case PgType.Text or PgType.Varchar:
                Span<byte> digits = stackalloc byte[24];
                value.TryFormat(digits, out int n, default, System.Globalization.CultureInfo.InvariantCulture);
                if (column.MaxChars >= 0 && n > column.MaxChars)
                {
                    return ValueStatus.OutOfRange;
                }
                buffer.WriteText(digits[..n]);
                return ValueStatus.Ok;
            default:
                return ValueStatus.OutOfRange;
        }
    }

    /// <summary>An int32, an int64, or a double holding an integer exactly, as a long.</summary>
    public static bool TryGetInteger(in Slot slot, ReadOnlySpan<byte> doc, out long value) => TryGetInteger(slot, doc, out value, out _);

    private static bool TryGetInteger(in Slot slot, ReadOnlySpan<byte> doc, out long value, out ValueStatus why)
    {
        ReadOnlySpan<byte> v = doc.Slice(slot.ValueStart, slot.ValueLength);
        switch (slot.Type)
        {
            case BsonType.Int32:
                value = BinaryPrimitives.ReadInt32LittleEndian(v);
                why = ValueStatus.Ok;
                return true;
            case BsonType.Int64:
                value = BinaryPrimitives.ReadInt64LittleEndian(v);
                why = ValueStatus.Ok;
                return true;
            case BsonType.Double:
                double d = BinaryPrimitives.ReadDoubleLittleEndian(v);
                // 2^63 is exactly representable; every double below it in magnitude and integral fits a long.
                if (d >= -9.223372036854775808e18 && d < 9.223372036854775808e18 && Math.Floor(d) == d)
                {
                    value = (long)d;
                    why = ValueStatus.Ok;
                    return true;
                }
                value = 0;
                why = double.IsFinite(d) && Math.Floor(d) == d ? ValueStatus.OutOfRange : ValueStatus.NotIntegral;
                return false;
            default:
                value = 0;
                why = ValueStatus.TypeMismatch;
                return false;
        }
    }

    /// <summary>
    /// numeric and numeric(p,s). With a modifier, a value PostgreSQL would round to the scale s is
    /// refused rather than rounded (a silent change), and so is one with more than p - s digits before
    /// the decimal point (PostgreSQL's "numeric field overflow", which names no document).
    /// </summary>
    private static ValueStatus WriteNumeric(BsonType type, ReadOnlySpan<byte> v, ColumnPlan column, CopyBuffer buffer)
    {
        int scale = column.NumericScale;
        switch (type)
        {
            case BsonType.Int32:
            case BsonType.Int64:
                long l = type == BsonType.Int32 ? BinaryPrimitives.ReadInt32LittleEndian(v) : BinaryPrimitives.ReadInt64LittleEndian(v);
                UInt128 magnitude = l < 0 ? (UInt128)(-(Int128)l) : (UInt128)l;
                if (!FitsIntegerDigits(column, DigitCount(magnitude)))
                {
                    return ValueStatus.NumericOverflow;
                }
                PgNumeric.Write(buffer, l < 0, magnitude, 0);
                return ValueStatus.Ok;
            case BsonType.Double:
                double d = BinaryPrimitives.ReadDoubleLittleEndian(v);
                if (!double.IsFinite(d))
                {
                    return ValueStatus.NotANumber;
                }
                if (scale >= 0)
                {
                    DecimalShape(d, out int integerDigits, out int fractionDigits);
                    if (fractionDigits > scale)
                    {
                        return ValueStatus.Rounded; // PostgreSQL would round it to the column's scale
                    }
                    if (!FitsIntegerDigits(column, integerDigits))
                    {
                        return ValueStatus.NumericOverflow;
                    }
                }
                PgNumeric.Write(buffer, d);
                return ValueStatus.Ok;
            case BsonType.Decimal128:
                var bits = new Decimal128Bits(BinaryPrimitives.ReadUInt64LittleEndian(v), BinaryPrimitives.ReadUInt64LittleEndian(v[8..]));
                if (!bits.TryGetFinite(out bool negative, out UInt128 coefficient, out int exponent))
                {
                    return ValueStatus.NotANumber;
                }
                if (scale >= 0 && exponent < -scale && !DropsOnlyZeros(coefficient, -scale - exponent))
                {
                    return ValueStatus.Rounded; // PostgreSQL would round it to the column's scale
                }
                if (coefficient != 0 && !FitsIntegerDigits(column, DigitCount(coefficient) + exponent))
                {
                    return ValueStatus.NumericOverflow;
                }
                PgNumeric.Write(buffer, negative, coefficient, exponent);
                return ValueStatus.Ok;
            default:
                return ValueStatus.TypeMismatch;
        }
    }

    /// <summary>True when the last <paramref name="digits"/> decimal digits of the coefficient are all zero.</summary>
    private static bool DropsOnlyZeros(UInt128 coefficient, int digits)
    {
        for (int i = 0; i < digits && coefficient != 0; i++)
        {
            if (coefficient % 10 != 0)
            {
                return false;
            }
            coefficient /= 10;
        }
        return true;
    }

    /// <summary>True when numeric(p,s) holds a value with that many digits before the decimal point (always without a modifier).</summary>
    private static bool FitsIntegerDigits(ColumnPlan column, int integerDigits)
        => column.NumericPrecision < 0 || integerDigits <= column.NumericPrecision - column.NumericScale;

    /// <summary>Decimal digits of the coefficient, 0 for 0.</summary>
    private static int DigitCount(UInt128 value)
    {
        int n = 0;
        while (value != 0)
        {
            value /= 10;
            n++;
        }
        return n;
    }

    /// <summary>Digits before the decimal point (0 when |d| &lt; 1) and after it, in the double's shortest round-trip form.</summary>
    private static void DecimalShape(double d, out int integerDigits, out int fractionDigits)
    {
        Span<char> text = stackalloc char[32];
        d.TryFormat(text, out int n, "R", System.Globalization.CultureInfo.InvariantCulture);
        text = text[..n];
        int e = text.IndexOfAny('E', 'e');
        int exponent = 0;
        if (e >= 0)
        {
            exponent = int.Parse(text[(e + 1)..], System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture);
            text = text[..e];
        }
        text = text.TrimStart('-');
        int dot = text.IndexOf('.');
        int fraction = dot < 0 ? 0 : text.Length - dot - 1;
        fractionDigits = Math.Max(0, fraction - exponent);
        // Digits before the point once the exponent is applied, not counting leading zeros ("0.5" has none).
        int point = dot < 0 ? text.Length : dot;
        int leadingZeros = 0;
        while (leadingZeros < text.Length && text[leadingZeros] is '0' or '.')
        {
            leadingZeros++;
        }
        if (leadingZeros == text.Length)
        {
            integerDigits = 0;
            return;
        }
        int firstDigit = leadingZeros > point ? leadingZeros - 1 : leadingZeros; // the '.' skipped is no digit
        integerDigits = Math.Max(0, point + exponent - firstDigit);
    }

    private static ValueStatus WriteText(BsonType type, ReadOnlySpan<byte> v, int maxChars, CopyBuffer buffer)
    {
        switch (type)
        {
            case BsonType.String or BsonType.Symbol or BsonType.JavaScript:
                ReadOnlySpan<byte> s = v.Slice(4, v.Length - 5);
                if (s.Contains((byte)0))
                {
                    return ValueStatus.NulInText;
                }
                // Bytes >= characters, so only a string longer in bytes than n needs counting.
                if (maxChars >= 0 && s.Length > maxChars && CharCount(s) > maxChars)
                {
                    return ValueStatus.TooLong; // refused even when only spaces pass n: PostgreSQL would drop them silently
                }
                buffer.WriteText(s);
                return ValueStatus.Ok;
            case BsonType.ObjectId when maxChars is >= 0 and < 24:
                return ValueStatus.TooLong;
            case BsonType.ObjectId:
                Span<byte> hex = stackalloc byte[24];
                for (int i = 0; i < 12; i++)
                {
                    hex[2 * i] = Hex(v[i] >> 4);
                    hex[(2 * i) + 1] = Hex(v[i] & 0xF);
                }
                buffer.WriteText(hex);
                return ValueStatus.Ok;
            default:
                return ValueStatus.TypeMismatch;
        }
    }

    /// <summary>Characters (code points) of UTF-8 text: the bytes that do not continue a sequence.</summary>
    internal static int CharCount(ReadOnlySpan<byte> utf8)
    {
        int continuation = 0;
        foreach (byte b in utf8)
        {
            if ((b & 0xC0) == 0x80)
            {
                continuation++;
            }
        }
        return utf8.Length - continuation;
    }

    private static byte Hex(int nibble) => (byte)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);

    private static ValueStatus WriteUuid(BsonType type, ReadOnlySpan<byte> v, CopyBuffer buffer)
    {
        if (type == BsonType.Binary)
        {
            var subtype = BinaryPayload(v, out ReadOnlySpan<byte> data);
            if (subtype != BsonBinarySubtype.Uuid)
            {
                return ValueStatus.TypeMismatch; // subtype 3's byte order depends on the driver that wrote it
            }
            if (data.Length != 16)
            {
                return ValueStatus.InvalidUuid;
            }
            buffer.WriteUuid(data);
            return ValueStatus.Ok;
        }
        if (type == BsonType.String)
        {
            ReadOnlySpan<byte> s = v.Slice(4, v.Length - 5);
            if (!Utf8Parser.TryParse(s, out Guid g, out int consumed) || consumed != s.Length)
            {
                return ValueStatus.InvalidUuid;
            }
            Span<byte> bytes = stackalloc byte[16];
            g.TryWriteBytes(bytes, bigEndian: true, out _);
            buffer.WriteUuid(bytes);
            return ValueStatus.Ok;
        }
        return ValueStatus.TypeMismatch;
    }

    private static BsonBinarySubtype BinaryPayload(ReadOnlySpan<byte> v, out ReadOnlySpan<byte> data)
    {
        int length = BinaryPrimitives.ReadInt32LittleEndian(v);
        var subtype = (BsonBinarySubtype)v[4];
        data = subtype == BsonBinarySubtype.BinaryOld ? v.Slice(9, length - 4) : v.Slice(5, length);
        return subtype;
    }

    private static ValueStatus WriteJson(bool jsonb, in Slot slot, ReadOnlySpan<byte> doc, long baseOffset, CopyBuffer buffer)
    {
        int mark = buffer.BeginField();
        if (jsonb)
        {
            buffer.WriteByte(1); // jsonb binary format version
        }
        BsonReader reader = BsonReader.OverElement(doc, baseOffset, slot.ElementStart, slot.ElementEnd, slot.Depth);
        reader.Read();
        JsonWriteResult result = jsonb ? BsonJsonWriter.WriteJsonbValue(ref reader, buffer) : BsonJsonWriter.WriteValue(ref reader, buffer);
        buffer.EndField(mark);
        if ((result & JsonWriteResult.ContainsNullCharacter) != 0)
        {
            return ValueStatus.NulInText;
        }
        // json keeps a repeated key as text; jsonb would keep only the last value.
        return jsonb && (result & JsonWriteResult.RepeatedKey) != 0 ? ValueStatus.RepeatedKey : ValueStatus.Ok;
    }

    /// <summary>The reason for a failed conversion, for messages (cold path: may allocate).</summary>
    public static string Describe(ValueStatus status, ColumnPlan column, in Slot slot, ReadOnlySpan<byte> doc) => status switch
    {
        ValueStatus.OutOfRange => $"the {BsonTypeNames.Of(slot.Type)} value is out of range for type {column.SqlType}",
        ValueStatus.NotIntegral => $"the double value is not an integer, so {column.SqlType} cannot hold it exactly",
        ValueStatus.Inexact => $"the {BsonTypeNames.Of(slot.Type)} value cannot be stored in {column.SqlType} without losing precision",
        ValueStatus.NulInText => "the text contains a NUL byte (0x00), which PostgreSQL cannot store in text or json",
        ValueStatus.DateOutOfRange => $"the date is outside the range of PostgreSQL's {column.SqlType} (4713 BC to {(column.Type == PgType.Date ? "5874897" : "294276")} AD)",
        ValueStatus.NotANumber => $"NaN and Infinity cannot be stored in {column.SqlType}",
        ValueStatus.TimeOfDay => "the date has a time of day, which a date column would drop; use timestamptz",
        ValueStatus.InvalidUuid => "the value is not a 16-byte UUID",
        ValueStatus.Rounded => $"the value {ValueText.Number(slot, doc)} has more decimal places than {column.SqlType} keeps ({column.NumericScale}), so PostgreSQL would round it",
        ValueStatus.NumericOverflow => $"the value {ValueText.Number(slot, doc)} has more digits before the decimal point than {column.SqlType} holds ({column.NumericPrecision - column.NumericScale})",
        ValueStatus.TooLong => ValueText.TooLong(column, slot, doc),
        ValueStatus.TimestampIncrement => $"the BSON timestamp has increment {(uint)BinaryPrimitives.ReadUInt64LittleEndian(doc.Slice(slot.ValueStart, 8))}, which {column.SqlType} would drop (it keeps the seconds only); store it as jsonb to keep both",
        ValueStatus.RepeatedKey => $"the value holds key \"{ValueText.RepeatedKey(slot, doc)}\" more than once in one subdocument, and {column.SqlType} would keep only the last, dropping the others silently",
        _ => $"a {BsonTypeNames.Of(slot.Type)} value cannot be stored in a {column.SqlType} column",
    };
}
