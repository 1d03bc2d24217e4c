using System.Buffers.Binary;
using System.IO.Compression;
using EtlFast.Bson;

namespace EtlFast.Core.Sources;

/// <summary>
/// A .bson.gz decompressed, with every way it can be damaged turned into one error: a
/// <see cref="BsonException"/> of kind <see cref="BsonErrorKind.DecompressionFailed"/>, which load,
/// verify and infer already stop on cleanly (the chunks cut before it are good). This is the one place
/// that classifies decompression faults.
/// </summary>
/// <remarks>
/// GZipStream says "unsupported compression method" for every fault (a plain file, corrupt deflate
/// data, a wrong CRC32) and nothing at all for a file cut short: it just ends, and a cut that falls on a
/// document boundary would load fewer documents without a word. So the header is checked here, where
/// the offsets are exact, and the end of the data against the trailer's length field (ISIZE, the last
/// 4 bytes: the decompressed size mod 2^32). A fault inside the deflate data has no compressed offset
/// that GZipStream can give: it is reported at the decompressed offset, with how far the compressed
/// file had been read. The one valid gzip this refuses is several members concatenated (cat a.gz b.gz),
/// which mongodump never writes: the message says so and how to recompress it.
/// </remarks>
internal sealed class GunzipStream : Stream
{
    private const int HeaderBytes = 10;
    private const int TrailerBytes = 8;

    private readonly FileStream _file;
    private readonly GZipStream _gzip;
    private readonly string _path;
    private readonly ReadMeter _meter;
    private long _delivered;
    private BsonException? _fault; // once damaged, every later read says the same

    private GunzipStream(FileStream file, string path, ReadMeter meter)
    {
        _file = file;
        _path = path;
        _meter = meter;
        _gzip = new GZipStream(new MeteredStream(file, meter), CompressionMode.Decompress);
    }

    /// <summary>Checks the gzip header (without moving the file's position) and decompresses the file through <paramref name="meter"/>.</summary>
    public static Stream Open(FileStream file, string path, ReadMeter meter)
    {
        var stream = new GunzipStream(file, path, meter);
        if (stream.CheckHeader() is { } fault)
        {
            stream._fault = fault;
        }
        return stream;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_fault is not null)
        {
            throw _fault;
        }
        if (buffer.IsEmpty)
        {
            return 0;
        }
        int n;
        try
        {
            n = _gzip.Read(buffer);
        }
        catch (InvalidDataException)
        {
            throw _fault = Corrupt();
        }
        if (n == 0 && CheckEnd() is { } cut)
        {
            throw _fault = cut;
        }
        _delivered += n;
        return n;
    }

    private BsonException? CheckHeader()
    {
        Span<byte> header = stackalloc byte[HeaderBytes];
        int have = RandomAccess.Read(_file.SafeFileHandle, header, 0);
        if (have >= 2 && (header[0] != 0x1F || header[1] != 0x8B))
        {
            return Fault(0, "compressed", $"it is not gzip data (it starts 0x{header[0]:x2} 0x{header[1]:x2}, gzip starts 0x1f 0x8b); an uncompressed .bson must not be named .gz");
        }
        if (have >= 3 && header[2] != 8)
        {
            return Fault(2, "compressed", $"unknown gzip compression method {header[2]} (gzip has one, 8: deflate)");
        }
        if (have >= 4 && (header[3] & 0xE0) != 0)
        {
            return Fault(3, "compressed", $"reserved gzip header flags are set (0x{header[3] & 0xE0:x2})");
        }
        if (have < HeaderBytes)
        {
            return Fault(have, "compressed", "the file ends inside the gzip header: it is truncated");
        }
        return null;
    }

    /// <summary>At the end of the deflate data: is the file whole? Its last 4 bytes must be the size just decompressed.</summary>
    private BsonException? CheckEnd()
    {
        long length = _file.Length;
        Span<byte> isize = stackalloc byte[4];
        if (length < HeaderBytes + TrailerBytes || RandomAccess.Read(_file.SafeFileHandle, isize, length - 4) != 4)
        {
            return Fault(length, "compressed", "the file ends before its gzip stream does: it is truncated");
        }
        uint expected = BinaryPrimitives.ReadUInt32LittleEndian(isize);
        if (expected != (uint)_delivered)
        {
            // Several members concatenated (cat a.gz b.gz) end here too: the last trailer counts only the
            // last member, and GZipStream does not say where one member ends, so the two cannot be told apart.
            return Fault(length, "compressed",
                $"the file ends before its gzip stream does: it is truncated ({_delivered} bytes decompressed; the last 4 bytes of a whole file give that size mod 2^32, these say {expected}), "
                + "or it holds several gzip members concatenated (cat a.gz b.gz), which cannot be checked for truncation; recompress such a file as one: gunzip -c FILE | gzip > NEW");
        }
        return null;
    }

    private BsonException Corrupt()
    {
        long read = _meter.BytesRead;
        long length = _meter.TotalBytes ?? _file.Length;
        string where = read >= length
            ? $"the whole file had been read, so the damage is in its last deflate block or in its CRC32 at bytes {length - TrailerBytes} to {length - 5}"
            : $"the decompressor had read {read} of {length} compressed bytes";
        return Fault(_delivered, "decompressed", $"the gzip data is corrupt or fails its CRC32 check; {where}");
    }

    private BsonException Fault(long offset, string counted, string what) =>
        new(BsonErrorKind.DecompressionFailed, offset, "", $"the source cannot be decompressed at byte {offset} ({counted}) of {_path}: {what}");

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _gzip.Dispose();
        }
        base.Dispose(disposing);
    }
}
