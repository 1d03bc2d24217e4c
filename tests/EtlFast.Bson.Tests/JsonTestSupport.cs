using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using EtlFast.Bson.Json;

namespace EtlFast.Bson.Tests;

/// <summary>Runs <see cref="BsonJsonWriter"/> over BSON bytes and returns the JSON as a string.</summary>
internal static class JsonOut
{
    public static string Document(byte[] bson) => Document(bson, out _);

    public static string Document(byte[] bson, out JsonWriteResult result)
    {
        var output = new ArrayBufferWriter<byte>();
        BsonReader reader = BsonReader.Create(bson);
        result = BsonJsonWriter.WriteDocument(ref reader, output);
        Assert.False(reader.Read()); // the writer consumed the whole document
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    /// <summary>The JSON of the first element's value.</summary>
    public static string FirstValue(byte[] bson) => FirstValue(bson, out _);

    public static string FirstValue(byte[] bson, out JsonWriteResult result)
    {
        var output = new ArrayBufferWriter<byte>();
        BsonReader reader = BsonReader.Create(bson);
        Assert.True(reader.Read());
        result = BsonJsonWriter.WriteValue(ref reader, output);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    /// <summary>The same document through a writer that hands out minimal spans, to exercise the chunked paths.</summary>
    public static string DocumentStingy(byte[] bson, out JsonWriteResult result)
    {
        var output = new StingyBufferWriter();
        BsonReader reader = BsonReader.Create(bson);
        result = BsonJsonWriter.WriteDocument(ref reader, output);
        return Encoding.UTF8.GetString(output.Written);
    }
}

/// <summary>
/// An <see cref="IBufferWriter{T}"/> that returns exactly the size asked for, each time from a fresh array,
/// so bytes written to a span after <see cref="Advance"/> (a contract breach) are lost and show up as a diff.
/// </summary>
internal sealed class StingyBufferWriter : IBufferWriter<byte>
{
    private readonly List<byte> _written = [];
    private byte[] _current = [];

    public int SpansHandedOut { get; private set; }

    public byte[] Written => [.. _written];

    public void Advance(int count)
    {
        Assert.InRange(count, 0, _current.Length);
        _written.AddRange(_current.AsSpan(0, count));
        _current = [];
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        _current = new byte[Math.Max(sizeHint, 1)];
        SpansHandedOut++;
        return _current;
    }

    public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;
}

/// <summary>Hand-built BSON for what MongoDB.Bson will not write (DBPointer, unsorted regex options, broken nesting).</summary>
internal static class RawBson
{
    public static byte[] Document(params byte[][] elements)
    {
        int length = 4 + elements.Sum(e => e.Length) + 1;
        var bytes = new byte[length];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, length);
        int pos = 4;
        foreach (byte[] e in elements)
        {
            e.CopyTo(bytes, pos);
            pos += e.Length;
        }
        return bytes;
    }

    public static byte[] Element(BsonType type, string name, params byte[][] value) =>
        [(byte)type, .. CString(name), .. value.SelectMany(v => v)];

    public static byte[] CString(string s) => [.. Encoding.UTF8.GetBytes(s), 0];

    public static byte[] String(string s)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(s);
        var bytes = new byte[4 + utf8.Length + 1];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, utf8.Length + 1);
        utf8.CopyTo(bytes, 4);
        return bytes;
    }

    public static byte[] Int32(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        return bytes;
    }

    public static byte[] Int64(long value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        return bytes;
    }

    public static byte[] Hex(string hex) => Convert.FromHexString(hex);
}
