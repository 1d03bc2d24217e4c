using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;

namespace EtlFast.Bson;

// String-shaped values: string, JavaScript code, symbol. Each is an int32 length (terminator included),
// the UTF-8 bytes and a 0x00.
public sealed partial class BsonWriter
{
    /// <summary>A string from UTF-8 bytes, written as given.</summary>
    public void WriteString(ReadOnlySpan<byte> name, ReadOnlySpan<byte> utf8) => PutString(Header(BsonType.String, name, 5 + utf8.Length), utf8);

    /// <summary>A string from UTF-8 bytes, written as given.</summary>
    public void WriteString(ReadOnlySpan<byte> utf8) => PutString(Header(BsonType.String, 5 + utf8.Length), utf8);

    /// <summary>A string from UTF-16 text (lone surrogates become U+FFFD).</summary>
    public void WriteString(ReadOnlySpan<byte> name, ReadOnlySpan<char> value) => PutString(Header(BsonType.String, name, MaxStringSize(value)), value);

    /// <summary>A string from UTF-16 text (lone surrogates become U+FFFD).</summary>
    public void WriteString(ReadOnlySpan<char> value) => PutString(Header(BsonType.String, MaxStringSize(value)), value);

    /// <summary>
    /// Writes the framing of a string of <paramref name="utf8Length"/> bytes and returns the span the caller
    /// must fill with its UTF-8 bytes before the next write (which may move the buffer). Lets a producer
    /// generate text in place without a copy.
    /// </summary>
    public Span<byte> WriteStringSpan(ReadOnlySpan<byte> name, int utf8Length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(utf8Length);
        int p = Header(BsonType.String, name, 5 + utf8Length);
        byte[] b = _buffer;
        BinaryPrimitives.WriteInt32LittleEndian(new Span<byte>(b, p, 4), utf8Length + 1);
        b[p + 4 + utf8Length] = 0;
        _pos = p + 5 + utf8Length;
        return new Span<byte>(b, p + 4, utf8Length);
    }

    /// <summary>JavaScript code (type 0x0D) from UTF-8 bytes.</summary>
    public void WriteJavaScript(ReadOnlySpan<byte> name, ReadOnlySpan<byte> utf8Code) => PutString(Header(BsonType.JavaScript, name, 5 + utf8Code.Length), utf8Code);

    /// <summary>JavaScript code (type 0x0D) from UTF-8 bytes.</summary>
    public void WriteJavaScript(ReadOnlySpan<byte> utf8Code) => PutString(Header(BsonType.JavaScript, 5 + utf8Code.Length), utf8Code);

    /// <summary>The deprecated symbol type (0x0E) from UTF-8 bytes.</summary>
    public void WriteSymbol(ReadOnlySpan<byte> name, ReadOnlySpan<byte> utf8) => PutString(Header(BsonType.Symbol, name, 5 + utf8.Length), utf8);

    /// <summary>The deprecated symbol type (0x0E) from UTF-8 bytes.</summary>
    public void WriteSymbol(ReadOnlySpan<byte> utf8) => PutString(Header(BsonType.Symbol, 5 + utf8.Length), utf8);

    private void PutString(int p, ReadOnlySpan<byte> utf8)
    {
        byte[] b = _buffer;
        BinaryPrimitives.WriteInt32LittleEndian(new Span<byte>(b, p, 4), utf8.Length + 1);
        utf8.CopyTo(new Span<byte>(b, p + 4, utf8.Length));
        p += 4 + utf8.Length;
        b[p] = 0;
        _pos = p + 1;
    }

    private static int MaxStringSize(ReadOnlySpan<char> value) => 5 + Encoding.UTF8.GetMaxByteCount(value.Length);

    private void PutString(int p, ReadOnlySpan<char> value)
    {
        byte[] b = _buffer;
        Utf8.FromUtf16(value, new Span<byte>(b, p + 4, b.Length - p - 4), out _, out int written, replaceInvalidSequences: true);
        BinaryPrimitives.WriteInt32LittleEndian(new Span<byte>(b, p, 4), written + 1);
        p += 4 + written;
        b[p] = 0;
        _pos = p + 1;
    }
}
