namespace EtlFast.Core.Sources;

/// <summary>
/// How far a source has read through its input, for progress and its ETA. Written by the one thread
/// that reads the source, read by any. For a .bson.gz it counts compressed bytes, because only the
/// compressed size is known in advance.
/// </summary>
public sealed class ReadMeter(long? totalBytes, bool compressed)
{
    private long _read;
    private long _cut;

    /// <summary>The input's size in bytes (compressed for gzip); null when unknown (standard input).</summary>
    public long? TotalBytes { get; } = totalBytes;

    /// <summary>True when the counts are of compressed bytes.</summary>
    public bool Compressed { get; } = compressed;

    public long BytesRead => Volatile.Read(ref _read);

    /// <summary>Bytes of BSON cut into chunks so far (after decompression): with <see cref="BytesRead"/>, the compression ratio.</summary>
    public long BsonBytesCut => Volatile.Read(ref _cut);

    /// <summary>
    /// How many bytes of the input the given bytes of BSON stand for: the same number for a plain file, scaled by
    /// the ratio seen so far for a compressed one.
    /// </summary>
    public long InputBytesFor(long bsonBytes)
    {
        if (!Compressed)
        {
            return bsonBytes;
        }
        long cut = BsonBytesCut;
        return cut <= 0 ? 0 : (long)(bsonBytes * ((double)BytesRead / cut));
    }

    internal void Add(int bytes) => Volatile.Write(ref _read, _read + bytes);

    internal void Cut(long bsonBytes) => Volatile.Write(ref _cut, bsonBytes);
}

/// <summary>A read-only stream that counts what passes through it into a <see cref="ReadMeter"/>.</summary>
internal sealed class MeteredStream(Stream inner, ReadMeter meter) : ForwardOnlyReadStream(inner)
{
    public override int Read(Span<byte> buffer)
    {
        int n = inner.Read(buffer);
        meter.Add(n);
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        meter.Add(n);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
}
