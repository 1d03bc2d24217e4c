using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace EtlFast.Bson.Json;

/// <summary>
/// The writing end of <see cref="BsonJsonWriter"/>: holds one span obtained from the caller's
/// <see cref="IBufferWriter{T}"/> and fills it, so the writer is called (GetSpan/Advance) once per
/// span rather than once per token. Whatever is written stays unseen by the caller until <see cref="Flush"/>.
/// </summary>
internal ref struct JsonSink<TWriter> where TWriter : IBufferWriter<byte>
{
    /// <summary>Smallest span asked for, so a writer that returns exactly the size hint is not called per token.</summary>
    private const int MinSpan = 256;

    /// <summary>Longest double text of the "R" format ("-1.7976931348623157E+308") plus the ".0" we may append.</summary>
    private const int MaxDoubleLength = 32;

    private readonly TWriter _writer;
    private Span<byte> _span;
    private int _pos;

    public JsonWriteResult Result;

    /// <summary>For PostgreSQL jsonb, whose numbers have no negative zero: write -0.0 in its canonical wrapper.</summary>
    public bool WrapNegativeZero;

    public JsonSink(TWriter writer)
    {
        _writer = writer;
        _span = default;
        _pos = 0;
        Result = JsonWriteResult.None;
    }

    /// <summary>Hands the bytes written so far to the caller's writer.</summary>
    public void Flush()
    {
        if (_pos > 0)
        {
            _writer.Advance(_pos);
            _pos = 0;
        }
        // IBufferWriter: a span must not be written after Advance; the next write asks for a new one.
        _span = default;
    }

    /// <summary>Free space of at least <paramref name="size"/> bytes at the write position.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<byte> Reserve(int size)
    {
        if (_span.Length - _pos < size)
        {
            Grow(size);
        }
        return _span.Slice(_pos);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow(int size)
    {
        Flush();
        _span = _writer.GetSpan(Math.Max(size, MinSpan));
        if (_span.Length < size)
        {
            JsonThrow.WriterTooSmall(size, _span.Length);
        }
    }

    public void WriteByte(byte value)
    {
        Reserve(1)[0] = value;
        _pos++;
    }

    /// <summary>Bytes copied as they are (already valid JSON), in pieces when the free span is shorter.</summary>
    public void WriteRaw(scoped ReadOnlySpan<byte> bytes)
    {
        if (_span.Length - _pos >= bytes.Length)
        {
            bytes.CopyTo(_span.Slice(_pos));
            _pos += bytes.Length;
            return;
        }
        WriteRawSlow(bytes);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void WriteRawSlow(scoped ReadOnlySpan<byte> bytes)
    {
        while (bytes.Length > 0)
        {
            Span<byte> free = _span.Slice(_pos);
            if (free.Length == 0)
            {
                // Ask for the rest, capped so a huge string does not force one huge contiguous span.
                Grow(Math.Min(bytes.Length, 64 * 1024));
                free = _span.Slice(_pos);
            }
            int n = Math.Min(free.Length, bytes.Length);
            bytes.Slice(0, n).CopyTo(free);
            _pos += n;
            bytes = bytes.Slice(n);
        }
    }

    /// <summary>A JSON string: quoted, with '"', '\' and U+0000..U+001F escaped; other UTF-8 (already validated) kept as is.</summary>
    public void WriteString(scoped ReadOnlySpan<byte> utf8)
    {
        int i = utf8.IndexOfAny(JsonEscaping.MustEscape);
        if (i < 0 && _span.Length - _pos >= utf8.Length + 2)
        {
            // Most keys and values need no escape and fit: one copy between the quotes.
            Span<byte> d = _span.Slice(_pos);
            d[0] = (byte)'"';
            utf8.CopyTo(d.Slice(1));
            d[utf8.Length + 1] = (byte)'"';
            _pos += utf8.Length + 2;
            return;
        }
        WriteStringSlow(utf8, i);
    }

    /// <summary>Escapes and span boundaries; <paramref name="i"/> is the first byte to escape, or -1.</summary>
    private void WriteStringSlow(scoped ReadOnlySpan<byte> utf8, int i)
    {
        WriteByte((byte)'"');
        while (i >= 0)
        {
            WriteRaw(utf8.Slice(0, i));
            WriteEscape(utf8[i]);
            utf8 = utf8.Slice(i + 1);
            i = utf8.IndexOfAny(JsonEscaping.MustEscape);
        }
        WriteRaw(utf8);
        WriteByte((byte)'"');
    }

    private void WriteEscape(byte b)
    {
        Span<byte> d = Reserve(6);
        d[0] = (byte)'\\';
        if (b is (byte)'"' or (byte)'\\')
        {
            d[1] = b;
            _pos += 2;
            return;
        }
        if (b == 0)
        {
            Result |= JsonWriteResult.ContainsNullCharacter;
        }
        d[1] = (byte)'u';
        d[2] = (byte)'0';
        d[3] = (byte)'0';
        d[4] = HexDigit(b >> 4);
        d[5] = HexDigit(b & 0xF);
        _pos += 6;
    }

    public void WriteInt64(long value)
    {
        bool ok = Utf8Formatter.TryFormat(value, Reserve(20), out int n);
        Debug.Assert(ok);
        _pos += n;
    }

    public void WriteUInt32(uint value)
    {
        bool ok = Utf8Formatter.TryFormat(value, Reserve(10), out int n);
        Debug.Assert(ok);
        _pos += n;
    }

    /// <summary>
    /// A finite double as its shortest round-trip text, with ".0" added to integral values (relaxed
    /// Extended JSON keeps a double recognisable as one: 1.0, not 1).
    /// </summary>
    public void WriteFiniteDouble(double value)
    {
        Span<byte> d = Reserve(MaxDoubleLength);
        bool ok = value.TryFormat(d, out int n, "R", CultureInfo.InvariantCulture);
        Debug.Assert(ok);
        if (d.Slice(0, n).IndexOfAny((byte)'.', (byte)'E') < 0)
        {
            d[n++] = (byte)'.';
            d[n++] = (byte)'0';
        }
        _pos += n;
    }

    public void WriteDecimal128(Decimal128Bits value)
    {
        // Reserve first: it may flush and reset _pos, which a compound "_pos += ...Reserve()" would read before.
        Span<byte> d = Reserve(Decimal128Bits.MaxUtf8Length);
        _pos += value.FormatUtf8(d);
    }

    /// <summary>Lowercase hex of a few bytes (an ObjectId's 12), without quotes.</summary>
    public void WriteHex(scoped ReadOnlySpan<byte> bytes)
    {
        Span<byte> d = Reserve(bytes.Length * 2);
        for (int i = 0; i < bytes.Length; i++)
        {
            d[2 * i] = HexDigit(bytes[i] >> 4);
            d[2 * i + 1] = HexDigit(bytes[i] & 0xF);
        }
        _pos += bytes.Length * 2;
    }

    /// <summary>Standard padded base64 (RFC 4648), without quotes, in pieces that fit the free span.</summary>
    public void WriteBase64(scoped ReadOnlySpan<byte> data)
    {
        while (data.Length > 0)
        {
            Span<byte> d = Reserve(4);
            int fit = d.Length / 4 * 3;
            bool final = data.Length <= fit;
            OperationStatus status = Base64.EncodeToUtf8(final ? data : data.Slice(0, fit), d, out int consumed, out int written, final);
            Debug.Assert(status == OperationStatus.Done);
            _pos += written;
            data = data.Slice(consumed);
        }
    }

    /// <summary>"YYYY-MM-DDTHH:MM:SS.mmmZ" (quoted) for milliseconds since the epoch in 1970..9999.</summary>
    public void WriteIsoDate(long unixMilliseconds)
    {
        Debug.Assert(unixMilliseconds is >= 0 and <= BsonJsonWriter.MaxIsoDateMilliseconds);
        const int MillisecondsPerDay = 86_400_000;
        const int UnixEpochDayNumber = 719_162; // days from 0001-01-01 to 1970-01-01
        int days = (int)(unixMilliseconds / MillisecondsPerDay);
        int ms = (int)(unixMilliseconds - (long)days * MillisecondsPerDay);
        DateOnly.FromDayNumber(UnixEpochDayNumber + days).Deconstruct(out int year, out int month, out int day);

        Span<byte> d = Reserve(26);
        d[0] = (byte)'"';
        Digits(d.Slice(1, 4), year);
        d[5] = (byte)'-';
        Digits(d.Slice(6, 2), month);
        d[8] = (byte)'-';
        Digits(d.Slice(9, 2), day);
        d[11] = (byte)'T';
        Digits(d.Slice(12, 2), ms / 3_600_000);
        d[14] = (byte)':';
        Digits(d.Slice(15, 2), ms / 60_000 % 60);
        d[17] = (byte)':';
        Digits(d.Slice(18, 2), ms / 1000 % 60);
        d[20] = (byte)'.';
        Digits(d.Slice(21, 3), ms % 1000);
        d[24] = (byte)'Z';
        d[25] = (byte)'"';
        _pos += 26;
    }

    /// <summary>Zero-padded decimal digits filling <paramref name="d"/>.</summary>
    private static void Digits(Span<byte> d, int value)
    {
        for (int i = d.Length - 1; i >= 0; i--)
        {
            d[i] = (byte)('0' + value % 10);
            value /= 10;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte HexDigit(int nibble) => (byte)(nibble < 10 ? '0' + nibble : 'a' - 10 + nibble);
}
