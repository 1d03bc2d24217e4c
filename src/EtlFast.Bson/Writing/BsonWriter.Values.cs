using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace EtlFast.Bson;

// Scalar values. Each comes as a named element, and unnamed (array item or after WriteName).
public sealed partial class BsonWriter
{
    public void WriteDouble(ReadOnlySpan<byte> name, double value) => PutInt64(Header(BsonType.Double, name, 8), BitConverter.DoubleToInt64Bits(value));

    public void WriteDouble(double value) => PutInt64(Header(BsonType.Double, 8), BitConverter.DoubleToInt64Bits(value));

    public void WriteInt32(ReadOnlySpan<byte> name, int value) => PutInt32(Header(BsonType.Int32, name, 4), value);

    public void WriteInt32(int value) => PutInt32(Header(BsonType.Int32, 4), value);

    public void WriteInt64(ReadOnlySpan<byte> name, long value) => PutInt64(Header(BsonType.Int64, name, 8), value);

    public void WriteInt64(long value) => PutInt64(Header(BsonType.Int64, 8), value);

    public void WriteBoolean(ReadOnlySpan<byte> name, bool value) => PutByte(Header(BsonType.Boolean, name, 1), value ? (byte)1 : (byte)0);

    public void WriteBoolean(bool value) => PutByte(Header(BsonType.Boolean, 1), value ? (byte)1 : (byte)0);

    /// <summary>A UTC datetime: milliseconds since the Unix epoch.</summary>
    public void WriteDateTime(ReadOnlySpan<byte> name, long unixMilliseconds) => PutInt64(Header(BsonType.DateTime, name, 8), unixMilliseconds);

    /// <summary>A UTC datetime: milliseconds since the Unix epoch.</summary>
    public void WriteDateTime(long unixMilliseconds) => PutInt64(Header(BsonType.DateTime, 8), unixMilliseconds);

    /// <summary>A UTC datetime, truncated to milliseconds.</summary>
    public void WriteDateTime(ReadOnlySpan<byte> name, DateTimeOffset value) => WriteDateTime(name, value.ToUnixTimeMilliseconds());

    /// <summary>A UTC datetime, truncated to milliseconds.</summary>
    public void WriteDateTime(DateTimeOffset value) => WriteDateTime(value.ToUnixTimeMilliseconds());

    /// <summary>A MongoDB internal timestamp: seconds since the epoch in the high 32 bits, an ordinal in the low 32.</summary>
    public void WriteTimestamp(ReadOnlySpan<byte> name, uint seconds, uint increment) =>
        PutInt64(Header(BsonType.Timestamp, name, 8), (long)(((ulong)seconds << 32) | increment));

    /// <summary>A MongoDB internal timestamp: seconds since the epoch in the high 32 bits, an ordinal in the low 32.</summary>
    public void WriteTimestamp(uint seconds, uint increment) =>
        PutInt64(Header(BsonType.Timestamp, 8), (long)(((ulong)seconds << 32) | increment));

    /// <summary>A decimal128 from its raw IEEE 754-2008 BID bits.</summary>
    public void WriteDecimal128(ReadOnlySpan<byte> name, Decimal128Bits value) => PutDecimal128(Header(BsonType.Decimal128, name, 16), value);

    /// <summary>A decimal128 from its raw IEEE 754-2008 BID bits.</summary>
    public void WriteDecimal128(Decimal128Bits value) => PutDecimal128(Header(BsonType.Decimal128, 16), value);

    /// <summary>An ObjectId from its 12 bytes.</summary>
    public void WriteObjectId(ReadOnlySpan<byte> name, ReadOnlySpan<byte> objectId) => PutRaw(Header(BsonType.ObjectId, name, ObjectIdSize(objectId)), objectId);

    /// <summary>An ObjectId from its 12 bytes.</summary>
    public void WriteObjectId(ReadOnlySpan<byte> objectId) => PutRaw(Header(BsonType.ObjectId, ObjectIdSize(objectId)), objectId);

    public void WriteNull(ReadOnlySpan<byte> name) => _pos = Header(BsonType.Null, name, 0);

    public void WriteNull() => _pos = Header(BsonType.Null, 0);

    /// <summary>The deprecated undefined value (type 0x06).</summary>
    public void WriteUndefined(ReadOnlySpan<byte> name) => _pos = Header(BsonType.Undefined, name, 0);

    public void WriteUndefined() => _pos = Header(BsonType.Undefined, 0);

    public void WriteMinKey(ReadOnlySpan<byte> name) => _pos = Header(BsonType.MinKey, name, 0);

    public void WriteMinKey() => _pos = Header(BsonType.MinKey, 0);

    public void WriteMaxKey(ReadOnlySpan<byte> name) => _pos = Header(BsonType.MaxKey, name, 0);

    public void WriteMaxKey() => _pos = Header(BsonType.MaxKey, 0);

    /// <summary>
    /// Binary data. For the old subtype 0x02 the writer adds the inner length the specification requires;
    /// <paramref name="data"/> is always the payload alone.
    /// </summary>
    public void WriteBinary(ReadOnlySpan<byte> name, ReadOnlySpan<byte> data, BsonBinarySubtype subtype = BsonBinarySubtype.Generic) =>
        PutBinary(Header(BsonType.Binary, name, BinarySize(data, subtype)), data, subtype);

    /// <inheritdoc cref="WriteBinary(ReadOnlySpan{byte}, ReadOnlySpan{byte}, BsonBinarySubtype)"/>
    public void WriteBinary(ReadOnlySpan<byte> data, BsonBinarySubtype subtype = BsonBinarySubtype.Generic) =>
        PutBinary(Header(BsonType.Binary, BinarySize(data, subtype)), data, subtype);

    /// <summary>A regular expression: pattern and options as C strings (no 0x00 byte in either).</summary>
    public void WriteRegularExpression(ReadOnlySpan<byte> name, ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> options) =>
        PutRegex(Header(BsonType.Regex, name, RegexSize(pattern, options)), pattern, options);

    /// <summary>A regular expression: pattern and options as C strings (no 0x00 byte in either).</summary>
    public void WriteRegularExpression(ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> options) =>
        PutRegex(Header(BsonType.Regex, RegexSize(pattern, options)), pattern, options);

    /// <summary>
    /// Any value given as its exact encoding (length prefixes included): for types without a method of their
    /// own (DBPointer, code with scope) and for crafting documents byte by byte. The bytes are not checked.
    /// </summary>
    public void WriteRawValue(ReadOnlySpan<byte> name, BsonType type, ReadOnlySpan<byte> value) => PutRaw(Header(CheckRawType(type), name, value.Length), value);

    /// <inheritdoc cref="WriteRawValue(ReadOnlySpan{byte}, BsonType, ReadOnlySpan{byte})"/>
    public void WriteRawValue(BsonType type, ReadOnlySpan<byte> value) => PutRaw(Header(CheckRawType(type), value.Length), value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void PutByte(int p, byte value)
    {
        _buffer[p] = value;
        _pos = p + 1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void PutInt32(int p, int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(new Span<byte>(_buffer, p, 4), value);
        _pos = p + 4;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void PutInt64(int p, long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(new Span<byte>(_buffer, p, 8), value);
        _pos = p + 8;
    }

    private void PutDecimal128(int p, Decimal128Bits value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(new Span<byte>(_buffer, p, 8), value.Low);
        BinaryPrimitives.WriteUInt64LittleEndian(new Span<byte>(_buffer, p + 8, 8), value.High);
        _pos = p + 16;
    }

    // Arguments are checked before the element's header is written, so a refused value leaves no trace.
    private static int ObjectIdSize(ReadOnlySpan<byte> objectId)
    {
        if (objectId.Length != 12)
        {
            BsonWriterThrow.Argument(nameof(objectId), $"an ObjectId is 12 bytes, not {objectId.Length}");
        }
        return 12;
    }

    private static int BinarySize(ReadOnlySpan<byte> data, BsonBinarySubtype subtype) =>
        5 + data.Length + (subtype == BsonBinarySubtype.BinaryOld ? 4 : 0);

    private void PutBinary(int p, ReadOnlySpan<byte> data, BsonBinarySubtype subtype)
    {
        Span<byte> b = _buffer;
        bool old = subtype == BsonBinarySubtype.BinaryOld;
        BinaryPrimitives.WriteInt32LittleEndian(b[p..], data.Length + (old ? 4 : 0));
        b[p + 4] = (byte)subtype;
        p += 5;
        if (old)
        {
            BinaryPrimitives.WriteInt32LittleEndian(b[p..], data.Length);
            p += 4;
        }
        data.CopyTo(b[p..]);
        _pos = p + data.Length;
    }

    private static int RegexSize(ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> options)
    {
        if (pattern.Contains((byte)0) || options.Contains((byte)0))
        {
            BsonWriterThrow.Argument(nameof(pattern), "a regular expression's pattern and options cannot hold a 0x00 byte");
        }
        return pattern.Length + options.Length + 2;
    }

    private void PutRegex(int p, ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> options)
    {
        Span<byte> b = _buffer;
        pattern.CopyTo(b[p..]);
        p += pattern.Length;
        b[p++] = 0;
        options.CopyTo(b[p..]);
        p += options.Length;
        b[p++] = 0;
        _pos = p;
    }

    private static BsonType CheckRawType(BsonType type)
    {
        if (type == BsonType.EndOfDocument || !Enum.IsDefined(type))
        {
            BsonWriterThrow.Argument(nameof(type), $"0x{(byte)type:x2} is not a BSON value type");
        }
        return type;
    }

    private void PutRaw(int p, ReadOnlySpan<byte> value)
    {
        value.CopyTo(new Span<byte>(_buffer, p, value.Length));
        _pos = p + value.Length;
    }
}
