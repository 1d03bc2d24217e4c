namespace EtlFast.Core.Sources;

/// <summary>
/// The one shape of every stream a source reads through: read-only, forward-only, over an inner stream it
/// owns. A subclass gives <see cref="Read(Span{byte})"/>; everything else a Stream must answer is here.
/// </summary>
internal abstract class ForwardOnlyReadStream(IDisposable? owned) : Stream
{
    public sealed override bool CanRead => true;
    public sealed override bool CanSeek => false;
    public sealed override bool CanWrite => false;
    public sealed override long Length => throw new NotSupportedException();

    public sealed override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public abstract override int Read(Span<byte> buffer);

    public sealed override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public sealed override void Flush()
    {
    }

    public sealed override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public sealed override void SetLength(long value) => throw new NotSupportedException();
    public sealed override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            owned?.Dispose();
        }
        base.Dispose(disposing);
    }
}
