using System.Buffers;

namespace EtlFast.Core.Sources;

/// <summary>Packs documents that arrive one by one (from a cursor) into chunks of about a target size.</summary>
internal sealed class ChunkPacker(int chunkBytes)
{
    private byte[]? _buffer;
    private int _length;
    private int _documents;
    private long _offset;
    private long _index;

    /// <summary>Bytes packed into chunks handed out so far.</summary>
    public long Position => _offset;

    public bool HasPending => _documents > 0;

    /// <summary>Space for one document of <paramref name="length"/> bytes; hands back a full chunk first when it would not fit.</summary>
    public Span<byte> Reserve(int length, out Chunk? full)
    {
        full = null;
        if (_buffer is not null && _length + length > _buffer.Length && _documents > 0)
        {
            full = Flush();
        }
        if (_buffer is null)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(chunkBytes + (chunkBytes / 4), length));
            _length = 0;
        }
        Span<byte> span = _buffer.AsSpan(_length, length);
        _length += length;
        _documents++;
        return span;
    }

    /// <summary>True when the pending chunk has reached the target size.</summary>
    public bool IsFull => _length >= chunkBytes;

    public Chunk? Flush()
    {
        if (_buffer is null || _documents == 0)
        {
            return null;
        }
        var chunk = new Chunk(_buffer, _length, _offset, _index++, _documents);
        _offset += _length;
        _buffer = null;
        _length = 0;
        _documents = 0;
        return chunk;
    }

    public void Discard()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
    }
}
