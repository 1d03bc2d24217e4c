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
internal sealed class GunzipStream : ForwardOnlyReadStream
{
    private const int HeaderBytes = 10;
    private const int TrailerBytes = 8;

    private readonly CompressedTail _compressed;
    private readonly GZipStream _gzip;
    private readonly string _path;
    private readonly ReadMeter _meter;
    private long _delivered;
    private BsonException? _fault; // once damaged, every later read says the same

    private GunzipStream(CompressedTail compressed, GZipStream gzip, string path, ReadMeter meter)
        : base(gzip)
    {
        _compressed = compressed;
        _gzip = gzip;
        _path = path;
        _meter = meter;
    }

    /// <summary>
    /// Decompresses <paramref name="compressed"/> (a file or a pipe; it is read forward once) through
    /// <paramref name="meter"/>, which counts compressed bytes. The header is checked first, the trailer's
    /// length when the deflate data ends.
    /// </summary>
    public static Stream Open(Stream compressed, string path, ReadMeter meter)
    {
        var tail = new CompressedTail(new MeteredStream(compressed, meter));
        var header = new byte[HeaderBytes];
        int have = tail.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        var gzip = new GZipStream(new Archive.ReplayStream(header.AsMemory(0, have), tail), CompressionMode.Decompress);
        var stream = new GunzipStream(tail, gzip, path, meter);
        stream._fault = stream.CheckHeader(header.AsSpan(0, have));
        return stream;
    }

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

    private BsonException? CheckHeader(ReadOnlySpan<byte> header)
    {
        int have = header.Length;
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
            return Fault(have, "compressed", "the input ends inside the gzip header: it is truncated");
        }
        return null;
    }

    /// <summary>At the end of the deflate data: is the input whole? Its last 4 bytes must be the size just decompressed.</summary>
    private BsonException? CheckEnd()
    {
        _compressed.ReadToEnd(); // bytes after the trailer, if the decompressor left any, are part of the input's end
        long length = _compressed.Count;
        if (length < HeaderBytes + TrailerBytes)
        {
            return Fault(length, "compressed", "the input ends before its gzip stream does: it is truncated");
        }
        uint expected = _compressed.LastFour;
        if (expected != (uint)_delivered)
        {
            // Several members concatenated (cat a.gz b.gz) end here too: the last trailer counts only the
            // last member, and GZipStream does not say where one member ends, so the two cannot be told apart.
            return Fault(length, "compressed",
                $"the input ends before its gzip stream does: it is truncated ({_delivered} bytes decompressed; the last 4 bytes of a whole file give that size mod 2^32, these say {expected}), "
                + "or it holds several gzip members concatenated (cat a.gz b.gz), which cannot be checked for truncation; recompress such a file as one: gunzip -c FILE | gzip > NEW");
        }
        return null;
    }

    private BsonException Corrupt()
    {
        long read = _meter.BytesRead;
        string where = _meter.TotalBytes is not { } length
            ? $"the decompressor had read {read} compressed bytes"
            : read >= length
                ? $"the whole file had been read, so the damage is in its last deflate block or in its CRC32 at bytes {length - TrailerBytes} to {length - 5}"
                : $"the decompressor had read {read} of {length} compressed bytes";
        return Fault(_delivered, "decompressed", $"the gzip data is corrupt or fails its CRC32 check; {where}");
    }

    private BsonException Fault(long offset, string counted, string what) =>
        new(BsonErrorKind.DecompressionFailed, offset, "", $"the source cannot be decompressed at byte {offset} ({counted}) of {_path}: {what}");

    /// <summary>The compressed input, counted, with its last four bytes kept: the gzip trailer's ISIZE once the input ends.</summary>
    private sealed class CompressedTail(Stream inner) : ForwardOnlyReadStream(inner)
    {
        private uint _lastFour;

        public long Count { get; private set; }

        public uint LastFour => _lastFour;

        public override int Read(Span<byte> buffer)
        {
            int n = inner.Read(buffer);
            for (int i = Math.Max(0, n - 4); i < n; i++)
            {
                _lastFour = (_lastFour >> 8) | ((uint)buffer[i] << 24); // little-endian: the last byte read is the highest
            }
            Count += n;
            return n;
        }

        public void ReadToEnd()
        {
            Span<byte> scratch = stackalloc byte[4096];
            while (Read(scratch) > 0)
            {
            }
        }
    }
}
