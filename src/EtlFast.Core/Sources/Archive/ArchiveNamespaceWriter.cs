using System.Buffers.Binary;

namespace EtlFast.Core.Sources.Archive;

/// <summary>
/// A write-only stream that takes one namespace's documents as concatenated BSON (what a .bson file
/// holds, in writes split anywhere) and appends each whole document to an <see cref="ArchiveWriter"/>:
/// lets anything that writes a .bson write an archive instead. <see cref="Complete"/> writes the EOF block.
/// </summary>
public sealed class ArchiveNamespaceWriter(ArchiveWriter archive, int ns) : Stream
{
    private byte[] _partial = new byte[4096];
    private int _held; // bytes of a document not yet whole, at the start of _partial

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            if (_held == 0 && buffer.Length >= 4 && BinaryPrimitives.ReadInt32LittleEndian(buffer) is var whole and >= 5 && whole <= buffer.Length)
            {
                archive.Write(ns, buffer[..whole]); // the common case: whole documents, no copy
                buffer = buffer[whole..];
                continue;
            }
            int needed = _held < 4 ? 4 : BinaryPrimitives.ReadInt32LittleEndian(_partial);
            if (needed < 4)
            {
                throw new InvalidDataException($"a document length prefix of {needed} is not BSON");
            }
            if (needed > _partial.Length)
            {
                Array.Resize(ref _partial, needed);
            }
            int take = Math.Min(needed - _held, buffer.Length);
            buffer[..take].CopyTo(_partial.AsSpan(_held));
            _held += take;
            buffer = buffer[take..];
            if (_held >= 4 && _held == BinaryPrimitives.ReadInt32LittleEndian(_partial))
            {
                archive.Write(ns, _partial.AsSpan(0, _held));
                _held = 0;
            }
        }
    }

    /// <summary>Ends the namespace (its EOF block with the CRC); refuses a document left incomplete.</summary>
    public void Complete()
    {
        if (_held != 0)
        {
            throw new InvalidDataException($"the last {_held} bytes written are not a whole BSON document");
        }
        archive.Complete(ns);
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
