using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace EtlFast.PgCopy;

/// <summary>
/// One table's PostgreSQL binary COPY stream under construction, in a pooled, growable byte buffer.
/// Fields are written in the binary format of
/// https://www.postgresql.org/docs/current/sql-copy.html (big-endian, each field preceded by its
/// length, -1 for NULL). Nothing here allocates once the buffer has grown to its working size. The
/// bytes live in unmanaged memory (<see cref="NativeBlock"/>), out of the garbage collector's way.
/// </summary>
public sealed unsafe class CopyBuffer : IBufferWriter<byte>, IDisposable
{
    /// <summary>"PGCOPY\n\xff\r\n\0", then flags and header-extension length (both 0).</summary>
    private static ReadOnlySpan<byte> Header => [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', (byte)'\n', 0xFF, (byte)'\r', (byte)'\n', 0, 0, 0, 0, 0, 0, 0, 0, 0];

    public const int HeaderLength = 19;

    private NativeBlock? _block;
    private byte* _buffer;
    private int _capacity;
    private int _length;

    public CopyBuffer(int initialCapacity = 64 * 1024)
    {
        _block = new NativeBlock(Math.Max(initialCapacity, 256));
        _buffer = _block.Pointer;
        _capacity = _block.Length;
    }

    /// <summary>Rows started since the last <see cref="Reset"/>.</summary>
    public int Rows { get; private set; }

    /// <summary>Bytes written since the last <see cref="Reset"/>.</summary>
    public int Length => _length;

    public ReadOnlySpan<byte> WrittenSpan => new(_buffer, _length);

    public ReadOnlyMemory<byte> WrittenMemory => _block is null ? ReadOnlyMemory<byte>.Empty : _block.Memory[.._length];

    /// <summary>Empties the buffer, keeping its capacity.</summary>
    public void Reset()
    {
        _length = 0;
        Rows = 0;
    }

    /// <summary>Drops everything written after <paramref name="length"/> (a row that turned out to be rejected).</summary>
    public void Truncate(int length, int rows)
    {
        // A bad mark would silently corrupt the stream (PostgreSQL reports it far from the cause): check always.
        if ((uint)length > (uint)_length || (uint)rows > (uint)Rows)
        {
            ThrowBadTruncate(length, rows);
        }
        _length = length;
        Rows = rows;
    }

    public void WriteHeader() => WriteRaw(Header);

    /// <summary>The file trailer: a field count of -1.</summary>
    public void WriteTrailer() => WriteInt16Raw(-1);

    public void StartRow(short fieldCount)
    {
        WriteInt16Raw(fieldCount);
        Rows++;
    }

    public void WriteNull() => WriteInt32Raw(-1);

    public void WriteInt16(short value)
    {
        Span<byte> s = GetSpan(6);
        BinaryPrimitives.WriteInt32BigEndian(s, 2);
        BinaryPrimitives.WriteInt16BigEndian(s.Slice(4), value);
        _length += 6;
    }

    public void WriteInt32(int value)
    {
        Span<byte> s = GetSpan(8);
        BinaryPrimitives.WriteInt32BigEndian(s, 4);
        BinaryPrimitives.WriteInt32BigEndian(s.Slice(4), value);
        _length += 8;
    }

    public void WriteInt64(long value)
    {
        Span<byte> s = GetSpan(12);
        BinaryPrimitives.WriteInt32BigEndian(s, 8);
        BinaryPrimitives.WriteInt64BigEndian(s.Slice(4), value);
        _length += 12;
    }

    public void WriteFloat4(float value)
    {
        Span<byte> s = GetSpan(8);
        BinaryPrimitives.WriteInt32BigEndian(s, 4);
        BinaryPrimitives.WriteSingleBigEndian(s.Slice(4), value);
        _length += 8;
    }

    public void WriteFloat8(double value)
    {
        Span<byte> s = GetSpan(12);
        BinaryPrimitives.WriteInt32BigEndian(s, 8);
        BinaryPrimitives.WriteDoubleBigEndian(s.Slice(4), value);
        _length += 12;
    }

    public void WriteBoolean(bool value)
    {
        Span<byte> s = GetSpan(5);
        BinaryPrimitives.WriteInt32BigEndian(s, 1);
        s[4] = value ? (byte)1 : (byte)0;
        _length += 5;
    }

    /// <summary>timestamp / timestamptz: microseconds since 2000-01-01 00:00:00 UTC (see <see cref="PgTime"/>).</summary>
    public void WriteTimestamp(long pgMicroseconds) => WriteInt64(pgMicroseconds);

    /// <summary>date: days since 2000-01-01.</summary>
    public void WriteDate(int pgDays) => WriteInt32(pgDays);

    /// <summary>text / varchar: UTF-8 bytes as they are. The caller guarantees valid UTF-8 without 0x00.</summary>
    public void WriteText(ReadOnlySpan<byte> utf8) => WriteBytes(utf8);

    /// <summary>bytea, or any type whose binary form is the bytes themselves.</summary>
    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        Span<byte> s = GetSpan(4 + bytes.Length);
        BinaryPrimitives.WriteInt32BigEndian(s, bytes.Length);
        bytes.CopyTo(s.Slice(4));
        _length += 4 + bytes.Length;
    }

    /// <summary>uuid: the 16 bytes in RFC 4122 (network) order, as BSON binary subtype 4 holds them.</summary>
    public void WriteUuid(ReadOnlySpan<byte> rfc4122)
    {
        Debug.Assert(rfc4122.Length == 16);
        WriteBytes(rfc4122.Slice(0, 16));
    }

    /// <summary>numeric: (-1)^negative * coefficient * 10^exponent exactly (see <see cref="PgNumeric"/>).</summary>
    public void WriteNumeric(bool negative, UInt128 coefficient, int exponent) => PgNumeric.Write(this, negative, coefficient, exponent);

    /// <summary>numeric: the exact decimal of the double's shortest round-trip form (see <see cref="PgNumeric"/>).</summary>
    public void WriteNumeric(double value) => PgNumeric.Write(this, value);

    /// <summary>jsonb: format version 1, then the JSON text. The caller guarantees valid UTF-8 JSON.</summary>
    public void WriteJsonb(ReadOnlySpan<byte> utf8Json)
    {
        Span<byte> s = GetSpan(5 + utf8Json.Length);
        BinaryPrimitives.WriteInt32BigEndian(s, 1 + utf8Json.Length);
        s[4] = 1;
        utf8Json.CopyTo(s.Slice(5));
        _length += 5 + utf8Json.Length;
    }

    /// <summary>Reserves a field's length word; write the value raw, then call <see cref="EndField"/> with the mark.</summary>
    public int BeginField()
    {
        GetSpan(4);
        int mark = _length;
        _length += 4;
        return mark;
    }

    /// <summary>Fills in the length of the field begun at <paramref name="mark"/>.</summary>
    public void EndField(int mark)
    {
        Debug.Assert(mark >= 0 && mark + 4 <= _length);
        BinaryPrimitives.WriteInt32BigEndian(new Span<byte>(_buffer + mark, 4), _length - mark - 4);
    }

    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        _length += bytes.Length;
    }

    public void WriteByte(byte value)
    {
        GetSpan(1)[0] = value;
        _length++;
    }

    private void WriteInt16Raw(short value)
    {
        BinaryPrimitives.WriteInt16BigEndian(GetSpan(2), value);
        _length += 2;
    }

    private void WriteInt32Raw(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(GetSpan(4), value);
        _length += 4;
    }

    /// <summary>At least <paramref name="sizeHint"/> writable bytes at the end; follow with <see cref="Advance"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> GetSpan(int sizeHint = 0)
    {
        sizeHint = Math.Max(sizeHint, 1);
        if (_capacity - _length < sizeHint)
        {
            Grow(sizeHint);
        }
        return new Span<byte>(_buffer + _length, _capacity - _length);
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        GetSpan(Math.Max(sizeHint, 1));
        return _block!.Memory[_length..];
    }

    public void Advance(int count)
    {
        Debug.Assert(count >= 0 && _length + count <= _capacity);
        _length += count;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow(int sizeHint)
    {
        long wanted = Math.Max((long)_capacity * 2, (long)_length + sizeHint);
        if (wanted > Array.MaxLength)
        {
            wanted = (long)_length + sizeHint;
            if (wanted > Array.MaxLength)
            {
                throw new InvalidOperationException($"a COPY buffer cannot grow past {Array.MaxLength} bytes; use smaller chunks");
            }
        }
        var next = new NativeBlock((int)wanted);
        new ReadOnlySpan<byte>(_buffer, _length).CopyTo(next.GetSpan());
        ((IDisposable?)_block)?.Dispose(); // null after Dispose: a disposed buffer written again starts afresh
        _block = next;
        _buffer = next.Pointer;
        _capacity = next.Length;
    }

    [DoesNotReturn, StackTraceHidden]
    private void ThrowBadTruncate(int length, int rows) =>
        throw new ArgumentOutOfRangeException(nameof(length),
            $"cannot truncate a COPY buffer of {_length} bytes and {Rows} rows to {length} bytes and {rows} rows: a truncation mark must come from Length and Rows read earlier");

    public void Dispose()
    {
        NativeBlock? block = _block;
        _block = null;
        _buffer = null;
        _capacity = 0;
        _length = 0;
        ((IDisposable?)block)?.Dispose();
    }
}
