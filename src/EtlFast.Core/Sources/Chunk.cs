using EtlFast.PgCopy;

namespace EtlFast.Core.Sources;

/// <summary>
/// Whole documents back to back in a pooled buffer: the unit of work and of commit. Its
/// <see cref="Index"/> and <see cref="SourceOffset"/> are stable for a given source and chunk size.
/// </summary>
public sealed class Chunk
{
    private readonly ChunkBlockPool _pool;
    private NativeBlock? _block;

    internal Chunk(NativeBlock block, ChunkBlockPool pool, int length, long sourceOffset, long index, int documents, byte[]? lastId = null)
    {
        LastId = lastId;
        _block = block;
        _pool = pool;
        Memory = block.Memory[..length];
        Length = length;
        SourceOffset = sourceOffset;
        Index = index;
        Documents = documents;
    }

    /// <summary>The chunk's bytes (<see cref="Length"/> of them); empty once released.</summary>
    public ReadOnlyMemory<byte> Memory { get; private set; }

    public ReadOnlySpan<byte> Span => Memory.Span;

    public int Length { get; }
    /// <summary>Byte offset of the first document in the source (decompressed) stream.</summary>
    public long SourceOffset { get; }
    /// <summary>0-based position of the chunk in the source.</summary>
    public long Index { get; }
    public int Documents { get; }

    /// <summary>
    /// A live source's chunk: the <c>_id</c> of its last document as the BSON document <c>{_id: value}</c>,
    /// kept with the chunk's checkpoint so that a resumed load continues its range after it; null for files.
    /// </summary>
    public byte[]? LastId { get; }

    /// <summary>Returns the buffer to its pool; the chunk is unusable afterwards.</summary>
    public void Release()
    {
        Memory = default;
        if (_block is { } block)
        {
            _block = null;
            _pool.Return(block);
        }
    }
}

/// <summary>
/// The unmanaged buffers a chunker cuts chunks into, reused as workers release them. As many exist
/// as chunks are in flight (queued, being encoded, being cut), each touched only as far as its
/// chunks reached. Thread-safe: workers return, the chunker rents.
/// </summary>
public sealed class ChunkBlockPool : IDisposable
{
    private readonly Stack<NativeBlock> _free = new();
    private readonly int _blockBytes;
    private bool _disposed;

    public ChunkBlockPool(int blockBytes) => _blockBytes = blockBytes;

    /// <summary>A block of at least <paramref name="minimumBytes"/> (and at least the pool's block size).</summary>
    public NativeBlock Rent(int minimumBytes)
    {
        lock (_free)
        {
            while (_free.TryPop(out NativeBlock? block))
            {
                if (block.Length >= minimumBytes)
                {
                    return block;
                }
                ((IDisposable)block).Dispose(); // grown for a smaller need: make room for a bigger one
            }
        }
        return new NativeBlock(Math.Max(minimumBytes, _blockBytes));
    }

    public void Return(NativeBlock block)
    {
        lock (_free)
        {
            if (!_disposed)
            {
                _free.Push(block);
                return;
            }
        }
        ((IDisposable)block).Dispose(); // a chunk released after its source closed
    }

    public void Dispose()
    {
        lock (_free)
        {
            _disposed = true;
            while (_free.TryPop(out NativeBlock? block))
            {
                ((IDisposable)block).Dispose();
            }
        }
    }
}
