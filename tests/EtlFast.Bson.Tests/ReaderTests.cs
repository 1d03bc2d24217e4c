using System.Text;
using EtlFast.Benchmarks;
using MongoDB.Bson;

namespace EtlFast.Bson.Tests;

/// <summary>Behaviour of <see cref="BsonReader"/> beyond what the corpus shows; one test per bug fixed.</summary>
public sealed class ReaderTests
{
    [Fact]
    public void Walking_a_seed_document_allocates_nothing()
    {
        byte[] doc = SeedDocuments.Build(1, seed: 3)[0];
        BsonValidator.Validate(doc, 0); // warm up (JIT, statics)
        long before = GC.GetAllocatedBytesForCurrentThread();
        int elements = 0;
        for (int i = 0; i < 100; i++)
        {
            elements += BsonValidator.Validate(doc, 0);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(elements > 100 * 100, $"only {elements} elements walked");
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Read_past_the_end_keeps_returning_false()
    {
        byte[] doc = new BsonDocument("a", 1).ToBson();
        var reader = BsonReader.Create(doc);
        Assert.True(reader.Read());
        Assert.False(reader.Read());
        Assert.False(reader.Read());
        Assert.Equal(BsonType.EndOfDocument, reader.Type);
    }

    [Fact]
    public void ReadTo_finds_a_field_by_name_and_reports_a_missing_one()
    {
        byte[] doc = new BsonDocument { { "a", 1 }, { "b", "x" }, { "c", 3L } }.ToBson();
        var reader = BsonReader.Create(doc);
        Assert.True(reader.ReadTo("b"u8));
        Assert.Equal("x", Encoding.UTF8.GetString(reader.GetStringUtf8()));
        Assert.False(reader.ReadTo("a"u8)); // forward-only
    }

    [Fact]
    public void Scope_reader_sits_one_level_below_the_code_with_scope()
    {
        byte[] doc = new BsonDocument("f", new BsonJavaScriptWithScope("c", new BsonDocument("x", 1))).ToBson();
        var reader = BsonReader.Create(doc);
        Assert.True(reader.Read());
        var scope = reader.GetCodeWithScope(out ReadOnlySpan<byte> code);
        Assert.Equal("c", Encoding.UTF8.GetString(code));
        Assert.Equal(2, scope.Depth);
        Assert.True(scope.Read());
        Assert.Equal(("x", 1), (Encoding.UTF8.GetString(scope.Name), scope.GetInt32()));
        Assert.False(scope.Read());
    }

    [Fact]
    public void Error_path_names_the_array_item_by_position_in_the_message_too()
    {
        var messages = new BsonArray();
        for (int i = 0; i < 4; i++)
        {
            messages.Add(new BsonDocument { { "subject", "s" }, { "body", i == 2 ? "BAD" : "fine" } });
        }
        byte[] doc = new BsonDocument { { "_id", 1 }, { "messages", messages } }.ToBson();
        int at = doc.AsSpan().IndexOf("BAD"u8);
        doc[at] = 0xFF;
        var ex = Assert.Throws<BsonException>(() => BsonValidator.Validate(doc, 100));
        Assert.Equal((BsonErrorKind.InvalidUtf8, 100L + at, "messages.2.body"), (ex.Kind, ex.Offset, ex.Path));
        Assert.Contains("in field \"messages.2.body\"", ex.Message);
    }

    [Fact]
    public void Element_seen_earlier_can_be_read_again_with_OverElement()
    {
        byte[] doc = new BsonDocument { { "a", 1 }, { "b", new BsonDocument("c", "deep") }, { "d", 2 } }.ToBson();
        var reader = BsonReader.Create(doc);
        reader.Read();
        reader.Read();
        int start = reader.ElementStart, end = reader.ValueStart + reader.ValueLength;
        var again = BsonReader.OverElement(doc, 0, start, end, reader.Depth);
        Assert.True(again.Read());
        Assert.Equal((BsonType.Document, "b"), (again.Type, Encoding.UTF8.GetString(again.Name)));
        var inner = again.GetDocument();
        Assert.True(inner.Read());
        Assert.Equal("deep", Encoding.UTF8.GetString(inner.GetStringUtf8()));
        Assert.False(again.Read());
    }

    [Fact]
    public void Uuid_payload_comes_back_in_standard_byte_order()
    {
        var guid = Guid.Parse("00112233-4455-6677-8899-aabbccddeeff");
        byte[] doc = new BsonDocument("u", new BsonBinaryData(guid, GuidRepresentation.Standard)).ToBson();
        var reader = BsonReader.Create(doc);
        reader.Read();
        ReadOnlySpan<byte> payload = reader.GetBinary(out BsonBinarySubtype subtype);
        Assert.Equal(BsonBinarySubtype.Uuid, subtype);
        Assert.Equal("00112233445566778899aabbccddeeff", Convert.ToHexStringLower(payload));
    }
}
