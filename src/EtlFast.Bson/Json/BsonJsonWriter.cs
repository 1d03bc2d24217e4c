using System.Buffers;

namespace EtlFast.Bson.Json;

/// <summary>
/// Writes BSON values as relaxed MongoDB Extended JSON v2 (compact, no spaces), straight from the
/// reader's bytes into the caller's <see cref="IBufferWriter{T}"/> with no allocation per value.
/// Numbers that JSON can hold are plain JSON numbers; the other BSON types keep their "$" wrappers
/// ({"$date":...}, {"$oid":...}, {"$numberDecimal":...}), so the text is valid for PostgreSQL
/// <c>jsonb</c> except for U+0000, which is reported in the <see cref="JsonWriteResult"/> instead.
/// If the reader throws on malformed BSON part way, part of the value may already have been
/// advanced into the writer: the caller discards it with the rest of the row.
/// </summary>
public static class BsonJsonWriter
{
    /// <summary>9999-12-31T23:59:59.999Z: the last instant relaxed Extended JSON writes as an ISO-8601 string.</summary>
    internal const long MaxIsoDateMilliseconds = 253_402_300_799_999;

    /// <summary>Writes the value of the reader's current element (documents and arrays recursively).</summary>
    /// <exception cref="InvalidOperationException">The reader is not on an element.</exception>
    /// <exception cref="BsonException">A nested document is malformed.</exception>
    public static JsonWriteResult WriteValue<TWriter>(ref BsonReader reader, TWriter writer)
        where TWriter : IBufferWriter<byte>
    {
        if (reader.Type == BsonType.EndOfDocument)
        {
            JsonThrow.NotOnElement();
        }
        var sink = new JsonSink<TWriter>(writer);
        WriteElementValue(ref reader, ref sink);
        sink.Flush();
        return sink.Result;
    }

    /// <summary>
    /// As <see cref="WriteValue"/>, for PostgreSQL jsonb: a double -0.0 is written {"$numberDouble":"-0.0"},
    /// since jsonb stores a JSON -0.0 as numeric 0.0, dropping the sign.
    /// </summary>
    public static JsonWriteResult WriteJsonbValue<TWriter>(ref BsonReader reader, TWriter writer)
        where TWriter : IBufferWriter<byte>
    {
        if (reader.Type == BsonType.EndOfDocument)
        {
            JsonThrow.NotOnElement();
        }
        var sink = new JsonSink<TWriter>(writer) { WrapNegativeZero = true };
        WriteElementValue(ref reader, ref sink);
        sink.Flush();
        return sink.Result;
    }

    /// <summary>
    /// Writes the elements the reader has not read yet as one JSON object (a fresh reader: the whole
    /// document). The reader is left at the end of its document.
    /// </summary>
    /// <exception cref="BsonException">The document is malformed.</exception>
    public static JsonWriteResult WriteDocument<TWriter>(ref BsonReader document, TWriter writer)
        where TWriter : IBufferWriter<byte>
    {
        var sink = new JsonSink<TWriter>(writer);
        WriteObject(ref document, ref sink);
        sink.Flush();
        return sink.Result;
    }

    /// <summary>As <see cref="WriteDocument"/>, but as a JSON array of the element values (names ignored).</summary>
    public static JsonWriteResult WriteArray<TWriter>(ref BsonReader array, TWriter writer)
        where TWriter : IBufferWriter<byte>
    {
        var sink = new JsonSink<TWriter>(writer);
        WriteItems(ref array, ref sink);
        sink.Flush();
        return sink.Result;
    }

    private static void WriteObject<TWriter>(ref BsonReader reader, ref JsonSink<TWriter> sink)
        where TWriter : IBufferWriter<byte>
    {
        sink.WriteByte((byte)'{');
        bool first = true;
        BsonReader start = reader;
        ulong seen = 0; // one bit per name hash: a repeated key is looked for only when its bit is set already
        while (reader.Read())
        {
            if (!first)
            {
                sink.WriteByte((byte)',');
            }
            first = false;
            ulong bit = 1UL << NameBit(reader.Name);
            if ((seen & bit) != 0 && RepeatsEarlierName(start, reader.Name, reader.ElementStart))
            {
                sink.Result |= JsonWriteResult.RepeatedKey;
            }
            seen |= bit;
            sink.WriteString(reader.Name);
            sink.WriteByte((byte)':');
            WriteElementValue(ref reader, ref sink);
        }
        sink.WriteByte((byte)'}');
    }

    /// <summary>A cheap 6-bit hash of a key: its length, first and last bytes.</summary>
    private static int NameBit(ReadOnlySpan<byte> name)
    {
        uint h = (uint)name.Length;
        if (name.Length > 0)
        {
            h = (h * 31) + name[0];
            h = (h * 31) + name[^1];
        }
        return (int)((h * 0x9E3779B1u) >> 26);
    }

    /// <summary>True when an element before <paramref name="elementStart"/> in the object has that name (rare: only on a hash hit).</summary>
    private static bool RepeatsEarlierName(BsonReader reader, ReadOnlySpan<byte> name, int elementStart)
    {
        while (reader.Read() && reader.ElementStart < elementStart)
        {
            if (reader.Name.SequenceEqual(name))
            {
                return true;
            }
        }
        return false;
    }

    private static void WriteItems<TWriter>(ref BsonReader reader, ref JsonSink<TWriter> sink)
        where TWriter : IBufferWriter<byte>
    {
        sink.WriteByte((byte)'[');
        bool first = true;
        while (reader.Read())
        {
            if (!first)
            {
                sink.WriteByte((byte)',');
            }
            first = false;
            WriteElementValue(ref reader, ref sink);
        }
        sink.WriteByte((byte)']');
    }

    private static void WriteElementValue<TWriter>(ref BsonReader reader, ref JsonSink<TWriter> sink)
        where TWriter : IBufferWriter<byte>
    {
        switch (reader.Type)
        {
            case BsonType.Double:
                WriteDouble(reader.GetDouble(), ref sink);
                break;
            case BsonType.String:
                sink.WriteString(reader.GetStringUtf8());
                break;
            case BsonType.Document:
                {
                    BsonReader nested = reader.GetDocument();
                    WriteObject(ref nested, ref sink);
                    break;
                }
            case BsonType.Array:
                {
                    BsonReader nested = reader.GetDocument();
                    WriteItems(ref nested, ref sink);
                    break;
                }
            case BsonType.Binary:
                WriteBinary(ref reader, ref sink);
                break;
            case BsonType.Undefined:
                sink.WriteRaw("{\"$undefined\":true}"u8);
                break;
            case BsonType.ObjectId:
                WriteObjectId(reader.GetObjectId(), ref sink);
                break;
            case BsonType.Boolean:
                sink.WriteRaw(reader.GetBoolean() ? "true"u8 : "false"u8);
                break;
            case BsonType.DateTime:
                WriteDateTime(reader.GetDateTime(), ref sink);
                break;
            case BsonType.Null:
                sink.WriteRaw("null"u8);
                break;
            case BsonType.Regex:
                WriteRegex(ref reader, ref sink);
                break;
            case BsonType.DBPointer:
                {
                    ReadOnlySpan<byte> ns = reader.GetDBPointer(out ReadOnlySpan<byte> id);
                    sink.WriteRaw("{\"$dbPointer\":{\"$ref\":"u8);
                    sink.WriteString(ns);
                    sink.WriteRaw(",\"$id\":"u8);
                    WriteObjectId(id, ref sink);
                    sink.WriteRaw("}}"u8);
                    break;
                }
            case BsonType.JavaScript:
                sink.WriteRaw("{\"$code\":"u8);
                sink.WriteString(reader.GetStringUtf8());
                sink.WriteByte((byte)'}');
                break;
            case BsonType.Symbol:
                sink.WriteRaw("{\"$symbol\":"u8);
                sink.WriteString(reader.GetStringUtf8());
                sink.WriteByte((byte)'}');
                break;
            case BsonType.JavaScriptWithScope:
                {
                    BsonReader scope = reader.GetCodeWithScope(out ReadOnlySpan<byte> code);
                    sink.WriteRaw("{\"$code\":"u8);
                    sink.WriteString(code);
                    sink.WriteRaw(",\"$scope\":"u8);
                    WriteObject(ref scope, ref sink);
                    sink.WriteByte((byte)'}');
                    break;
                }
            case BsonType.Int32:
                sink.WriteInt64(reader.GetInt32());
                break;
            case BsonType.Timestamp:
                {
                    (uint seconds, uint increment) = reader.GetTimestamp();
                    sink.WriteRaw("{\"$timestamp\":{\"t\":"u8);
                    sink.WriteUInt32(seconds);
                    sink.WriteRaw(",\"i\":"u8);
                    sink.WriteUInt32(increment);
                    sink.WriteRaw("}}"u8);
                    break;
                }
            case BsonType.Int64:
                sink.WriteInt64(reader.GetInt64());
                break;
            case BsonType.Decimal128:
                sink.WriteRaw("{\"$numberDecimal\":\""u8);
                sink.WriteDecimal128(reader.GetDecimal128());
                sink.WriteRaw("\"}"u8);
                break;
            case BsonType.MinKey:
                sink.WriteRaw("{\"$minKey\":1}"u8);
                break;
            case BsonType.MaxKey:
                sink.WriteRaw("{\"$maxKey\":1}"u8);
                break;
            default:
                JsonThrow.UnexpectedType(reader.Type);
                break;
        }
    }

    private static void WriteDouble<TWriter>(double value, ref JsonSink<TWriter> sink)
        where TWriter : IBufferWriter<byte>
    {
        if (value == 0 && double.IsNegative(value) && sink.WrapNegativeZero)
        {
            sink.WriteRaw("{\"$numberDouble\":\"-0.0\"}"u8);
        }
        else if (double.IsFinite(value))
        {
            sink.WriteFiniteDouble(value);
        }
        else if (double.IsNaN(value))
        {
            sink.WriteRaw("{\"$numberDouble\":\"NaN\"}"u8);
        }
        else
        {
            sink.WriteRaw(value > 0 ? "{\"$numberDouble\":\"Infinity\"}"u8 : "{\"$numberDouble\":\"-Infinity\"}"u8);
        }
    }

    private static void WriteDateTime<TWriter>(long milliseconds, ref JsonSink<TWriter> sink)
        where TWriter : IBufferWriter<byte>
    {
        if (milliseconds is >= 0 and <= MaxIsoDateMilliseconds)
        {
            sink.WriteRaw("{\"$date\":"u8);
            sink.WriteIsoDate(milliseconds);
            sink.WriteByte((byte)'}');
        }
        else
        {
            sink.WriteRaw("{\"$date\":{\"$numberLong\":\""u8);
            sink.WriteInt64(milliseconds);
            sink.WriteRaw("\"}}"u8);
        }
    }

    private static void WriteObjectId<TWriter>(ReadOnlySpan<byte> id, ref JsonSink<TWriter> sink)
        where TWriter : IBufferWriter<byte>
    {
        sink.WriteRaw("{\"$oid\":\""u8);
        sink.WriteHex(id);
        sink.WriteRaw("\"}"u8);
    }

    private static void WriteBinary<TWriter>(ref BsonReader reader, ref JsonSink<TWriter> sink)
        where TWriter : IBufferWriter<byte>
    {
        ReadOnlySpan<byte> data = reader.GetBinary(out BsonBinarySubtype subtype);
        byte subtypeByte = (byte)subtype;
        sink.WriteRaw("{\"$binary\":{\"base64\":\""u8);
        sink.WriteBase64(data);
        sink.WriteRaw("\",\"subType\":\""u8);
        sink.WriteHex(new ReadOnlySpan<byte>(in subtypeByte));
        sink.WriteRaw("\"}}"u8);
    }

    private static void WriteRegex<TWriter>(ref BsonReader reader, ref JsonSink<TWriter> sink)
        where TWriter : IBufferWriter<byte>
    {
        ReadOnlySpan<byte> pattern = reader.GetRegex(out ReadOnlySpan<byte> options);
        sink.WriteRaw("{\"$regularExpression\":{\"pattern\":"u8);
        sink.WriteString(pattern);
        sink.WriteRaw(",\"options\":"u8);
        WriteRegexOptions(options, ref sink);
        sink.WriteRaw("}}"u8);
    }

    /// <summary>
    /// Extended JSON writes regex options in alphabetical order (the BSON spec's canonical form), so
    /// "xi" stored by a lax producer comes out as "ix". Option strings are a few ASCII letters; a
    /// pathological long or non-ASCII one is written as stored.
    /// </summary>
    private static void WriteRegexOptions<TWriter>(ReadOnlySpan<byte> options, ref JsonSink<TWriter> sink)
        where TWriter : IBufferWriter<byte>
    {
        const int MaxSorted = 64;
        if (options.Length <= 1 || options.Length > MaxSorted || IsAscendingOrNotAscii(options))
        {
            sink.WriteString(options);
            return;
        }
        Span<byte> sorted = stackalloc byte[MaxSorted];
        sorted = sorted.Slice(0, options.Length);
        options.CopyTo(sorted);
        sorted.Sort();
        sink.WriteString(sorted);
    }

    private static bool IsAscendingOrNotAscii(ReadOnlySpan<byte> options)
    {
        if (!System.Text.Ascii.IsValid(options))
        {
            return true;
        }
        for (int i = 1; i < options.Length; i++)
        {
            if (options[i] < options[i - 1])
            {
                return false;
            }
        }
        return true;
    }
}
