using System.Buffers;
using System.Runtime.InteropServices;

namespace EtlFast.PgCopy;

/// <summary>
/// A block of unmanaged memory exposed as <see cref="Memory{T}"/>. The large, long-lived buffers of a
/// load (COPY buffers, chunk buffers) live here rather than on the large object heap: allocating tens
/// of megabytes of arrays there at start-up cost two gen2 collections per load, and unmanaged memory
/// is touched (and so resident) only as far as it is written. Freed by <see cref="IDisposable.Dispose"/>
/// only: no finalizer, because a finalizer could free the memory under a span still being read after
/// its owner's last use (an owner that forgets to dispose leaks instead).
/// </summary>
public sealed unsafe class NativeBlock : MemoryManager<byte>
{
    private byte* _pointer;
    private int _length;

    public NativeBlock(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _pointer = (byte*)NativeMemory.Alloc((nuint)Math.Max(length, 1));
        _length = length;
    }

    /// <summary>Bytes in the block (0 once disposed).</summary>
    public int Length => _length;

    /// <summary>The first byte (null once disposed).</summary>
    public byte* Pointer => _pointer;

    public override Span<byte> GetSpan() => new(_pointer, _length);

    public override MemoryHandle Pin(int elementIndex = 0) => new(_pointer + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
        byte* p = _pointer;
        _pointer = null;
        _length = 0;
        if (p != null)
        {
            NativeMemory.Free(p);
        }
    }
}
