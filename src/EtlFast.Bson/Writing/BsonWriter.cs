using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace EtlFast.Bson;

/// <summary>
/// Writes BSON documents into a pooled, growable buffer without allocating per value.
/// Document and array lengths are reserved when they start and back-patched when they end; array items
/// are named "0", "1", ... automatically. Top-level documents accumulate back to back (the layout of a
/// mongodump <c>.bson</c> file) until <see cref="Clear"/>; a writer built over an <see cref="IBufferWriter{T}"/>
/// instead copies each top-level document there as soon as it ends.
/// </summary>
/// <remarks>
/// Every value comes in two forms: with a UTF-8 field name (<c>WriteInt32("age"u8, 42)</c>), or without one,
/// for array items and after <see cref="WriteName(ReadOnlySpan{byte})"/>. Field names are checked to hold no
/// 0x00 byte; string contents are written as given (no UTF-8 check) so tests can craft invalid documents on purpose.
/// Misuse of the structure (a value without a name inside a document, an unbalanced end) throws
/// <see cref="InvalidOperationException"/>.
/// </remarks>
public sealed partial class BsonWriter : IDisposable
{
    private const int DefaultCapacity = 16 * 1024;
    private const int NotArray = -1;

    private readonly IBufferWriter<byte>? _output;
    private readonly int[] _starts = new int[BsonReader.MaxDepth];   // position of each open container's length prefix
    private readonly int[] _indexes = new int[BsonReader.MaxDepth];  // next item index of an open array, NotArray for a document
    private byte[] _buffer;
    private int _pos;
    private int _depth;
    private int _pendingType = -1;  // position of the type byte of an element named by WriteName, still without its value

    /// <summary>A writer that keeps the documents in its own buffer (see <see cref="WrittenSpan"/>).</summary>
    public BsonWriter(int initialCapacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(initialCapacity);
        _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);
    }

    /// <summary>A writer that hands each finished top-level document to <paramref name="output"/>.</summary>
    public BsonWriter(IBufferWriter<byte> output, int initialCapacity = DefaultCapacity) : this(initialCapacity)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
    }

    /// <summary>Nesting of the element being written: 0 between top-level documents, 1 inside one.</summary>
    public int Depth => _depth;

    /// <summary>Bytes held in the buffer (finished documents, plus the one in progress).</summary>
    public int WrittenCount => _pos;

    /// <summary>The bytes held in the buffer; valid until the next write.</summary>
    public ReadOnlySpan<byte> WrittenSpan => new(_buffer, 0, _pos);

    /// <summary>The bytes held in the buffer; valid until the next write.</summary>
    public ReadOnlyMemory<byte> WrittenMemory => new(_buffer, 0, _pos);

    /// <summary>Forgets the finished documents held in the buffer (keeps the buffer for reuse).</summary>
    public void Clear()
    {
        if (_depth != 0)
        {
            BsonWriterThrow.State("cannot clear the buffer while a document is open");
        }
        _pos = 0;
    }

    /// <summary>Abandons any open document and forgets everything written: the writer can start afresh.</summary>
    public void Reset()
    {
        _depth = 0;
        _pendingType = -1;
        _pos = 0;
    }

    public void Dispose()
    {
        byte[] buffer = _buffer;
        _buffer = [];
        _pos = 0;
        _depth = 0;
        _pendingType = -1;
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Starts a top-level document, an unnamed array item, or the value of a name given by <see cref="WriteName(ReadOnlySpan{byte})"/>.</summary>
    public void WriteStartDocument()
    {
        int p = _depth == 0 ? Reserve(5) : Header(BsonType.Document, 5);
        Open(p, NotArray);
    }

    /// <summary>Starts an embedded document named <paramref name="name"/>.</summary>
    public void WriteStartDocument(ReadOnlySpan<byte> name) => Open(Header(BsonType.Document, name, 5), NotArray);

    /// <summary>Ends the innermost document; back-patches its length. A top-level document then goes to the output, if any.</summary>
    public void WriteEndDocument()
    {
        Close(isArray: false);
        if (_depth == 0 && _output is not null)
        {
            // A writer over an IBufferWriter only ever holds the one document in progress.
            _output.Write(new ReadOnlySpan<byte>(_buffer, 0, _pos));
            _pos = 0;
        }
    }

    /// <summary>Starts an unnamed array (an item of an array, or the value of a pending name).</summary>
    public void WriteStartArray() => Open(Header(BsonType.Array, 5), 0);

    /// <summary>Starts an array named <paramref name="name"/>; its items are named "0", "1", ... by the writer.</summary>
    public void WriteStartArray(ReadOnlySpan<byte> name) => Open(Header(BsonType.Array, name, 5), 0);

    /// <summary>Ends the innermost array; back-patches its length.</summary>
    public void WriteEndArray() => Close(isArray: true);

    /// <summary>Names the next value (written by an overload without a name). Must hold no 0x00 byte.</summary>
    public void WriteName(ReadOnlySpan<byte> utf8Name)
    {
        int p = Header(BsonType.EndOfDocument, utf8Name, 0);
        _pendingType = p - utf8Name.Length - 2;  // the type byte is patched by the value that follows
        _pos = p;
    }

    /// <summary>Names the next value, encoding <paramref name="name"/> as UTF-8.</summary>
    public void WriteName(ReadOnlySpan<char> name)
    {
        byte[]? rented = null;
        int max = Encoding.UTF8.GetMaxByteCount(name.Length);
        Span<byte> utf8 = max <= 256 ? stackalloc byte[256] : (rented = ArrayPool<byte>.Shared.Rent(max));
        int length = Encoding.UTF8.GetBytes(name, utf8);
        WriteName(utf8[..length]);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private void Open(int valuePosition, int index)
    {
        if (_depth == BsonReader.MaxDepth)
        {
            BsonWriterThrow.State($"documents and arrays nest deeper than {BsonReader.MaxDepth} levels");
        }
        _starts[_depth] = valuePosition;
        _indexes[_depth] = index;
        _depth++;
        _pos = valuePosition + 4;  // the length prefix is patched by Close
    }

    private void Close(bool isArray)
    {
        if (_depth == 0 || (_indexes[_depth - 1] != NotArray) != isArray)
        {
            BsonWriterThrow.State(isArray ? "WriteEndArray without an open array" : "WriteEndDocument without an open document");
        }
        if (_pendingType >= 0)
        {
            BsonWriterThrow.State("a name was written without its value");
        }
        if (_buffer.Length == _pos)
        {
            Grow(1);
        }
        _buffer[_pos++] = 0;
        int start = _starts[--_depth];
        BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(start), _pos - start);
    }

    /// <summary>Makes room for <paramref name="size"/> bytes at the end; returns where they start.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Reserve(int size)
    {
        if (_buffer.Length - _pos < size)
        {
            Grow(size);
        }
        return _pos;
    }

    /// <summary>
    /// Writes the type byte and name of an element, makes room for its value, and returns the value's position.
    /// <see cref="_pos"/> still points at the type byte: the caller sets it past the value.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Header(BsonType type, ReadOnlySpan<byte> name, int valueSize)
    {
        if (_depth == 0 || _pendingType >= 0 || name.Contains((byte)0))
        {
            BsonWriterThrow.BadNamedElement(_depth, _pendingType >= 0);
        }
        int p = Reserve(2 + name.Length + valueSize);
        byte[] b = _buffer;
        b[p] = (byte)type;
        name.CopyTo(new Span<byte>(b, p + 1, name.Length));
        p += name.Length + 1;
        b[p] = 0;
        ref int index = ref _indexes[_depth - 1];
        if (index != NotArray)
        {
            index++;
        }
        return p + 1;
    }

    /// <summary>Like the named <see cref="Header(BsonType, ReadOnlySpan{byte}, int)"/>, for a pending name or the next array index.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Header(BsonType type, int valueSize)
    {
        if (_pendingType >= 0)
        {
            int p = Reserve(valueSize);
            _buffer[_pendingType] = (byte)type;
            _pendingType = -1;
            return p;
        }
        return IndexHeader(type, valueSize);
    }

    private int IndexHeader(BsonType type, int valueSize)
    {
        if (_depth == 0 || _indexes[_depth - 1] == NotArray)
        {
            BsonWriterThrow.State(_depth == 0
                ? "a value needs an open document: call WriteStartDocument first"
                : "a value inside a document needs a name: use an overload with a name, or WriteName first");
        }
        int index = _indexes[_depth - 1]++;
        int p = Reserve(2 + 10 + valueSize);
        byte[] b = _buffer;
        b[p++] = (byte)type;
        if (index < 10)
        {
            b[p++] = (byte)('0' + index);
        }
        else
        {
            System.Buffers.Text.Utf8Formatter.TryFormat(index, new Span<byte>(b, p, 10), out int digits);
            p += digits;
        }
        b[p] = 0;
        return p + 1;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow(int size)
    {
        long needed = (long)_pos + size;
        if (needed > Array.MaxLength)
        {
            BsonWriterThrow.State($"the buffer would exceed {Array.MaxLength} bytes");
        }
        int newSize = (int)Math.Min(Array.MaxLength, Math.Max(needed, 2L * _buffer.Length));
        byte[] bigger = ArrayPool<byte>.Shared.Rent(newSize);
        new ReadOnlySpan<byte>(_buffer, 0, _pos).CopyTo(bigger);
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }
        _buffer = bigger;
    }
}
