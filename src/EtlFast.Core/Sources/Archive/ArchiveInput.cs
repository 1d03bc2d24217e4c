using EtlFast.Bson;

namespace EtlFast.Core.Sources.Archive;

/// <summary>
/// The archive's bytes read forward once, with the offset of every byte (counted after decompression
/// for a .gz) and the one way damage is reported: a <see cref="BsonException"/> of kind
/// <see cref="BsonErrorKind.ArchiveDamaged"/>, which load, verify and infer stop on as on any damaged source.
/// </summary>
internal sealed class ArchiveInput(Stream stream, string displayName, bool compressed) : IDisposable
{
    // Prefixes and headers are read 4 bytes and a few dozen at a time: buffered, not a syscall each.
    private readonly BufferedStream _stream = new(stream, 1 << 18);

    /// <summary>Offset of the next byte to be read.</summary>
    public long Position { get; private set; }

    public string DisplayName { get; } = displayName;

    /// <summary>Up to <paramref name="buffer"/>'s length, at least one byte unless the archive has ended.</summary>
    public int ReadSome(Span<byte> buffer)
    {
        int n = _stream.Read(buffer);
        Position += n;
        return n;
    }

    /// <summary>Fills <paramref name="buffer"/>; returns how many bytes it got, fewer only at the end of the archive.</summary>
    public int ReadFull(Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = ReadSome(buffer[total..]);
            if (n == 0)
            {
                break;
            }
            total += n;
        }
        return total;
    }

    /// <summary>Reads everything left, unchecked: for a pipe, so the writer (mongodump) is not cut off mid-write.</summary>
    public void Drain()
    {
        Span<byte> scratch = stackalloc byte[4096];
        while (ReadSome(scratch) > 0)
        {
        }
    }

    public BsonException Damaged(long offset, string? ns, string what) =>
        new(BsonErrorKind.ArchiveDamaged, offset, "",
            $"the archive is damaged at byte {offset}{(compressed ? " (decompressed)" : "")} of {DisplayName}{(ns is null ? "" : $", in namespace {ns}")}: {what}");

    /// <summary>Reads the rest of one small document (a header or metadata) whose length prefix, at <paramref name="start"/>, has been read.</summary>
    public byte[] ReadSmallDocument(uint length, long start, string? ns, string what, int maxLength)
    {
        if (length < 5 || length > maxLength)
        {
            throw Damaged(start, ns, $"{what} has length prefix {(int)length}; expected 5 to {maxLength} bytes");
        }
        var doc = new byte[length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(doc, length);
        int got = ReadFull(doc.AsSpan(4));
        if (got < length - 4)
        {
            throw Damaged(Position, ns, $"the archive ends {4 + got} bytes into {what} that starts at byte {start} and claims {length} bytes: it is truncated");
        }
        if (doc[^1] != 0)
        {
            throw Damaged(start + length - 1, ns, $"{what} that starts at byte {start} claims {length} bytes but does not end with 0x00 there");
        }
        return doc;
    }

    public void Dispose() => _stream.Dispose();
}
