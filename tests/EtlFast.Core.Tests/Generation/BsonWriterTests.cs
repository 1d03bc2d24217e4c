using System.Buffers;
using EtlFast.Bson;
using MongoDB.Bson;
using MongoDB.Bson.IO;
using MongoDB.Bson.Serialization;
using BsonReader = EtlFast.Bson.BsonReader;
using BsonType = EtlFast.Bson.BsonType;
using BsonWriter = EtlFast.Bson.BsonWriter;

namespace EtlFast.Core.Tests.Generation;

/// <summary>BsonWriter output checked byte for byte against MongoDB.Bson's own encoding, and decoded by it.</summary>
public sealed class BsonWriterTests
{
    private static readonly byte[] ObjectIdBytes = [0x65, 0x1f, 0x2a, 0x3b, 0x4c, 0x5d, 0x6e, 0x7f, 0x80, 0x91, 0xa2, 0xb3];

    [Fact]
    public void Every_named_type_matches_the_driver_encoding()
    {
        Decimal128 dec = Decimal128.Parse("-12345.6789E-3");
        var expected = new BsonDocument
        {
            { "d", 3.25 },
            { "s", "plain" },
            { "u", "h\u00e9llo \U0001F30D" },
            { "doc", new BsonDocument { { "inner", 1 } } },
            { "arr", new BsonArray { 1, "two", 3.0 } },
            { "bin", new BsonBinaryData([1, 2, 3], BsonBinarySubType.Binary) },
            { "uuid", new BsonBinaryData(new byte[16], BsonBinarySubType.UuidStandard) },
            { "oid", new ObjectId(ObjectIdBytes) },
            { "t", true },
            { "f", false },
            { "date", new BsonDateTime(1_700_000_000_123) },
            { "neg_date", new BsonDateTime(-86_400_000) },
            { "null", BsonNull.Value },
            { "undef", BsonUndefined.Value },
            { "re", new BsonRegularExpression("^a.*b$", "im") },
            { "js", new BsonJavaScript("function() { return 1; }") },
            { "sym", BsonSymbol.Create("symbol") },
            { "i32", int.MinValue },
            { "ts", new BsonTimestamp(1_700_000_000, 7) },
            { "i64", long.MaxValue },
            { "dec", dec },
            { "min", BsonMinKey.Value },
            { "max", BsonMaxKey.Value },
        };

        using var w = new BsonWriter();
        w.WriteStartDocument();
        w.WriteDouble("d"u8, 3.25);
        w.WriteString("s"u8, "plain"u8);
        w.WriteString("u"u8, "h\u00e9llo \U0001F30D".AsSpan());
        w.WriteStartDocument("doc"u8);
        w.WriteInt32("inner"u8, 1);
        w.WriteEndDocument();
        w.WriteStartArray("arr"u8);
        w.WriteInt32(1);
        w.WriteString("two"u8);
        w.WriteDouble(3.0);
        w.WriteEndArray();
        w.WriteBinary("bin"u8, [1, 2, 3]);
        w.WriteBinary("uuid"u8, new byte[16], BsonBinarySubtype.Uuid);
        w.WriteObjectId("oid"u8, ObjectIdBytes);
        w.WriteBoolean("t"u8, true);
        w.WriteBoolean("f"u8, false);
        w.WriteDateTime("date"u8, 1_700_000_000_123);
        w.WriteDateTime("neg_date"u8, DateTimeOffset.UnixEpoch.AddDays(-1));
        w.WriteNull("null"u8);
        w.WriteUndefined("undef"u8);
        w.WriteRegularExpression("re"u8, "^a.*b$"u8, "im"u8);
        w.WriteJavaScript("js"u8, "function() { return 1; }"u8);
        w.WriteSymbol("sym"u8, "symbol"u8);
        w.WriteInt32("i32"u8, int.MinValue);
        w.WriteTimestamp("ts"u8, 1_700_000_000, 7);
        w.WriteInt64("i64"u8, long.MaxValue);
        w.WriteDecimal128("dec"u8, new Decimal128Bits(dec.GetIEEELowBits(), dec.GetIEEEHighBits()));
        w.WriteMinKey("min"u8);
        w.WriteMaxKey("max"u8);
        w.WriteEndDocument();

        Assert.Equal(expected.ToBson(), w.WrittenSpan.ToArray());
        Assert.Equal(expected, BsonSerializer.Deserialize<BsonDocument>(w.WrittenSpan.ToArray()));
    }

    [Fact]
    public void Unnamed_values_in_an_array_match_the_driver_encoding()
    {
        Decimal128 dec = Decimal128.Parse("1.5");
        var items = new BsonArray
        {
            1.5, "s", new BsonDocument("k", 1), new BsonArray { 1 }, new BsonBinaryData([9]), new ObjectId(ObjectIdBytes),
            true, new BsonDateTime(5), BsonNull.Value, BsonUndefined.Value, new BsonRegularExpression("x", ""),
            new BsonJavaScript("c"), BsonSymbol.Create("y"), 7, new BsonTimestamp(1, 2), 8L, dec,
            BsonMinKey.Value, BsonMaxKey.Value, "\u00fc",
        };
        var expected = new BsonDocument("a", items);

        using var w = new BsonWriter();
        w.WriteStartDocument();
        w.WriteStartArray("a"u8);
        w.WriteDouble(1.5);
        w.WriteString("s"u8);
        w.WriteStartDocument();
        w.WriteInt32("k"u8, 1);
        w.WriteEndDocument();
        w.WriteStartArray();
        w.WriteInt32(1);
        w.WriteEndArray();
        w.WriteBinary([9]);
        w.WriteObjectId(ObjectIdBytes);
        w.WriteBoolean(true);
        w.WriteDateTime(5);
        w.WriteNull();
        w.WriteUndefined();
        w.WriteRegularExpression("x"u8, ""u8);
        w.WriteJavaScript("c"u8);
        w.WriteSymbol("y"u8);
        w.WriteInt32(7);
        w.WriteTimestamp(1, 2);
        w.WriteInt64(8);
        w.WriteDecimal128(new Decimal128Bits(dec.GetIEEELowBits(), dec.GetIEEEHighBits()));
        w.WriteMinKey();
        w.WriteMaxKey();
        w.WriteString("\u00fc".AsSpan());
        w.WriteEndArray();
        w.WriteEndDocument();

        Assert.Equal(expected.ToBson(), w.WrittenSpan.ToArray());
    }

    [Fact]
    public void Array_items_past_nine_get_multi_digit_names()
    {
        var expected = new BsonDocument("a", new BsonArray(Enumerable.Range(0, 1234)));
        using var w = new BsonWriter(16);
        w.WriteStartDocument();
        w.WriteStartArray("a"u8);
        for (int i = 0; i < 1234; i++)
        {
            w.WriteInt32(i);
        }
        w.WriteEndArray();
        w.WriteEndDocument();
        Assert.Equal(expected.ToBson(), w.WrittenSpan.ToArray());
    }

    [Fact]
    public void WriteName_then_value_and_char_names_match_the_driver_encoding()
    {
        var expected = new BsonDocument { { "na\u00efve", 1 }, { "b", "x" }, { "sub", new BsonDocument("z", BsonNull.Value) }, { "arr", new BsonArray() } };
        using var w = new BsonWriter();
        w.WriteStartDocument();
        w.WriteName("na\u00efve".AsSpan());
        w.WriteInt32(1);
        w.WriteName("b"u8);
        w.WriteString("x"u8);
        w.WriteName("sub"u8);
        w.WriteStartDocument();
        w.WriteName("z"u8);
        w.WriteNull();
        w.WriteEndDocument();
        w.WriteName("arr"u8);
        w.WriteStartArray();
        w.WriteEndArray();
        w.WriteEndDocument();
        Assert.Equal(expected.ToBson(), w.WrittenSpan.ToArray());
    }

    [Fact]
    public void Old_binary_subtype_gets_its_inner_length()
    {
        using var w = new BsonWriter();
        w.WriteStartDocument();
        w.WriteBinary("b"u8, [7, 8, 9], BsonBinarySubtype.BinaryOld);
        w.WriteEndDocument();
        byte[] bytes = w.WrittenSpan.ToArray();
        // type, "b\0", outer length 7, subtype 2, inner length 3, payload
        Assert.Equal(new byte[] { 0x05, (byte)'b', 0, 7, 0, 0, 0, 2, 3, 0, 0, 0, 7, 8, 9 }, bytes[4..^1]);
        using var reader = new BsonBinaryReader(new MemoryStream(bytes), new BsonBinaryReaderSettings { FixOldBinarySubTypeOnInput = false });
        var doc = BsonSerializer.Deserialize<BsonDocument>(reader);
        Assert.Equal(new byte[] { 7, 8, 9 }, doc["b"].AsBsonBinaryData.Bytes);
#pragma warning disable CS0618 // the deprecated subtype is the point of the test
        Assert.Equal(BsonBinarySubType.OldBinary, doc["b"].AsBsonBinaryData.SubType);
#pragma warning restore CS0618
    }

    [Fact]
    public void Raw_values_and_string_spans_are_written_as_given()
    {
        var inner = new BsonDocument("x", 1).ToBson();
        var expected = new BsonDocument { { "raw", new BsonDocument("x", 1) }, { "rawItems", new BsonArray { new BsonDocument("x", 1) } }, { "s", "abcde" } };
        using var w = new BsonWriter();
        w.WriteStartDocument();
        w.WriteRawValue("raw"u8, BsonType.Document, inner);
        w.WriteStartArray("rawItems"u8);
        w.WriteRawValue(BsonType.Document, inner);
        w.WriteEndArray();
        "abcde"u8.CopyTo(w.WriteStringSpan("s"u8, 5));
        w.WriteEndDocument();
        Assert.Equal(expected.ToBson(), w.WrittenSpan.ToArray());
        Assert.Throws<ArgumentException>(() => w.WriteRawValue(BsonType.EndOfDocument, []));
    }

    [Fact]
    public void Documents_accumulate_back_to_back_until_cleared()
    {
        using var w = new BsonWriter(8);
        var expected = new List<byte>();
        for (int i = 0; i < 50; i++)
        {
            w.WriteStartDocument();
            w.WriteInt32("_id"u8, i);
            w.WriteString("pad"u8, new string('p', i * 40).AsSpan());
            w.WriteEndDocument();
            expected.AddRange(new BsonDocument { { "_id", i }, { "pad", new string('p', i * 40) } }.ToBson());
        }
        Assert.Equal(expected.ToArray(), w.WrittenSpan.ToArray());
        Assert.Equal(expected.Count, w.WrittenCount);
        w.Clear();
        Assert.Equal(0, w.WrittenCount);
        w.WriteStartDocument();
        w.WriteEndDocument();
        Assert.Equal(new byte[] { 5, 0, 0, 0, 0 }, w.WrittenSpan.ToArray());
    }

    [Fact]
    public void A_buffer_writer_output_receives_each_finished_document()
    {
        var output = new ArrayBufferWriter<byte>();
        using var w = new BsonWriter(output, 4);
        w.WriteStartDocument();
        w.WriteString("a"u8, new string('x', 5000).AsSpan());
        Assert.Equal(0, output.WrittenCount);
        w.WriteEndDocument();
        Assert.Equal(0, w.WrittenCount);
        w.WriteStartDocument();
        w.WriteInt64("b"u8, 2);
        w.WriteEndDocument();
        byte[] expected = [.. new BsonDocument("a", new string('x', 5000)).ToBson(), .. new BsonDocument("b", 2L).ToBson()];
        Assert.Equal(expected, output.WrittenSpan.ToArray());
    }

    [Fact]
    public void Nesting_up_to_the_reader_limit_works_and_deeper_throws()
    {
        using var w = new BsonWriter();
        w.WriteStartDocument();
        for (int i = 1; i < BsonReader.MaxDepth; i++)
        {
            w.WriteStartDocument("d"u8);
        }
        Assert.Equal(BsonReader.MaxDepth, w.Depth);
        Assert.Throws<InvalidOperationException>(() => w.WriteStartDocument("d"u8));
        for (int i = 0; i < BsonReader.MaxDepth; i++)
        {
            w.WriteEndDocument();
        }
        byte[] bytes = w.WrittenSpan.ToArray();
        Assert.Equal(bytes.Length, BitConverter.ToInt32(bytes));
        BsonDocument doc = BsonSerializer.Deserialize<BsonDocument>(bytes);
        int depth = 1;
        while (doc.Contains("d"))
        {
            doc = doc["d"].AsBsonDocument;
            depth++;
        }
        Assert.Equal(BsonReader.MaxDepth, depth);
    }

    [Fact]
    public void Misuse_of_the_structure_throws()
    {
        using var w = new BsonWriter();
        Assert.Throws<InvalidOperationException>(() => w.WriteInt32("a"u8, 1));          // no open document
        Assert.Throws<InvalidOperationException>(() => w.WriteInt32(1));
        Assert.Throws<InvalidOperationException>(() => w.WriteEndDocument());
        Assert.Throws<InvalidOperationException>(() => w.WriteName("a"u8));
        w.WriteStartDocument();
        Assert.Throws<InvalidOperationException>(() => w.WriteInt32(1));                 // unnamed value in a document
        Assert.Throws<InvalidOperationException>(() => w.WriteEndArray());
        Assert.Throws<InvalidOperationException>(() => w.Clear());
        Assert.Throws<ArgumentException>(() => w.WriteInt32("a\0b"u8, 1));
        Assert.Throws<ArgumentException>(() => w.WriteObjectId("o"u8, new byte[11]));
        Assert.Throws<ArgumentException>(() => w.WriteRegularExpression("r"u8, "a\0"u8, ""u8));
        w.WriteName("pending"u8);
        Assert.Throws<InvalidOperationException>(() => w.WriteEndDocument());          // name without value
        Assert.Throws<InvalidOperationException>(() => w.WriteInt32("other"u8, 1));
        w.WriteInt32(5);
        w.WriteStartArray("arr"u8);
        Assert.Throws<InvalidOperationException>(() => w.WriteEndDocument());
        w.WriteEndArray();
        w.WriteEndDocument();
        Assert.Equal(new BsonDocument { { "pending", 5 }, { "arr", new BsonArray() } }, BsonSerializer.Deserialize<BsonDocument>(w.WrittenSpan.ToArray()));
    }

    [Fact]
    public void Reset_abandons_an_open_document()
    {
        using var w = new BsonWriter();
        w.WriteStartDocument();
        w.WriteStartArray("a"u8);
        w.Reset();
        Assert.Equal(0, w.Depth);
        Assert.Equal(0, w.WrittenCount);
        w.WriteStartDocument();
        w.WriteBoolean("ok"u8, true);
        w.WriteEndDocument();
        Assert.Equal(new BsonDocument("ok", true).ToBson(), w.WrittenSpan.ToArray());
    }
}
