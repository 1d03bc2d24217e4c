using System.Buffers;

namespace EtlFast.Core.Sources;

/// <summary>
/// Whole documents back to back in a pooled buffer: the unit of work and of commit. Its
/// <see cref="Index"/> and <see cref="SourceOffset"/> are stable for a given source and chunk size.
/// </summary>
public sealed class Chunk
{
    internal Chunk(byte[] buffer, int length, long sourceOffset, long index, int documents)
    {
        Buffer = buffer;
        Length = length;
        SourceOffset = sourceOffset;
        Index = index;
        Documents = documents;
    }

    public byte[] Buffer { get; private set; }
    public int Length { get; }
    /// <summary>Byte offset of the first document in the source (decompressed) stream.</summary>
    public long SourceOffset { get; }
    /// <summary>0-based position of the chunk in the source.</summary>
    public long Index { get; }
    public int Documents { get; }

    /// <summary>Returns the buffer to the pool; the chunk is unusable afterwards.</summary>
    public void Release()
    {
        byte[] b = Buffer;
        Buffer = [];
        if (b.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(b);
        }
    }
}
