using System.Buffers;
using EtlFast.PgCopy;
using System.Buffers.Binary;
using EtlFast.Bson;

namespace EtlFast.Core.Sources;

/// <summary>
/// Cuts a stream of BSON documents (a mongodump .bson, decompressed if need be) into chunks at
/// document boundaries: a chunk ends at the first boundary at or past <c>chunkBytes</c>, unless the
/// document that crosses it would make the chunk more than twice that size (then it starts the next
/// chunk). Runs on one thread, ahead of the workers. The boundaries depend only on the stream and the
/// chunk size, never on how reads happen to return, so a re-run cuts the same chunks.
/// Documents are framed up to <see cref="BsonReader.MaxFramedDocumentSize"/>: one over MongoDB's 16 MiB
/// limit is handed out like any other, for the worker to refuse or reject by its <c>_id</c>.
/// </summary>
/// <remarks>
/// The stream is read up to the chunk size, then exactly to the end of the document that crosses it,
/// never beyond: nothing of the next chunk is read into this chunk's buffer, so nothing is copied
/// over to the next buffer (a file is copied once, by the kernel, into the buffer a worker reads),
/// and a buffer is touched only as far as its chunk reaches.
/// </remarks>
public sealed class StreamChunker : IChunkSource
{
    private readonly Stream _stream;
    private readonly int _chunkBytes;
    private readonly int _maxDocumentSize;
    private readonly ChunkBlockPool _pool;
    private NativeBlock _buffer;
    private int _filled;     // bytes of _buffer holding data; documents start at 0
    private long _offset;    // stream offset of _buffer[0]
    private long _index;
    private bool _eof;
    private BsonException? _fault; // found after some whole documents: thrown once they are handed out

    public StreamChunker(Stream stream, string displayName, int chunkBytes, int maxDocumentSize = BsonReader.MaxFramedDocumentSize)
    {
        DisplayName = displayName;
        _stream = stream;
        _chunkBytes = Math.Max(chunkBytes, 5);
        _maxDocumentSize = maxDocumentSize;
        // Blocks as large as a chunk may grow (twice the chunk size, see Next), so the document that
        // crosses the chunk size never makes the chunker move the chunk into a bigger block. Unmanaged
        // pages are resident only once written: a block costs its chunk's bytes, not its size.
        _pool = new ChunkBlockPool((int)Math.Min(2L * _chunkBytes, Array.MaxLength));
        _buffer = _pool.Rent(_chunkBytes);
    }

    public string DisplayName { get; }

    /// <summary>Bytes read from the underlying file, for progress (set by whoever opened the stream).</summary>
    public ReadMeter? Meter { get; init; }

    /// <summary>Bytes of the source cut into chunks so far.</summary>
    public long Position => _offset;

    /// <summary>
    /// The next chunk, or null at the end of the stream. Throws <see cref="BsonException"/> when the
    /// stream is corrupt or ends inside a document (after the chunks before the fault were handed out).
    /// </summary>
    public Chunk? Next(CancellationToken cancel)
    {
        if (_fault is { } fault)
        {
            _fault = null;
            _eof = true;
            _filled = 0;
            throw fault;
        }
        int framed = 0;
        int documents = 0;
        long limit = 2L * _chunkBytes;
        while (true)
        {
            int available = _filled - framed;
            OperationStatus status = OperationStatus.NeedMoreData;
            int length = 0;
            if (available >= 4)
            {
                try
                {
                    status = BsonFramer.TryFrame(_buffer.GetSpan().Slice(framed, available), _offset + framed, _maxDocumentSize, out length);
                }
                catch (BsonException e) when (documents > 0)
                {
                    _fault = e; // hand out the whole documents before the fault first
                    break;
                }
            }
            if (status == OperationStatus.Done)
            {
                framed += length;
                documents++;
                if (framed >= _chunkBytes)
                {
                    break;
                }
                continue;
            }
            if (_eof)
            {
                if (available > 0 && documents == 0)
                {
                    long at = _offset + framed;
                    throw new BsonException(BsonErrorKind.TruncatedDocument, at, "",
                        $"the source ends {available} bytes into a document that starts at byte offset {at}: it is truncated or not BSON");
                }
                break;
            }
            // The bytes the next document needs (its length prefix, checked by the framer, once it is here).
            long needed = framed + (available >= 4 ? BinaryPrimitives.ReadInt32LittleEndian(_buffer.GetSpan()[framed..]) : 4);
            if (documents > 0 && needed > limit)
            {
                break; // it would make this chunk too large: it starts the next one
            }
            cancel.ThrowIfCancellationRequested();
            Fill((int)Math.Max(needed, _chunkBytes));
        }

        if (documents == 0)
        {
            return null;
        }
        int rest = _filled - framed;
        NativeBlock next = _pool.Rent(rest);
        _buffer.GetSpan().Slice(framed, rest).CopyTo(next.GetSpan()); // usually nothing; at most the start of one document
        var chunk = new Chunk(_buffer, _pool, framed, _offset, _index++, documents);
        _buffer = next;
        _filled = rest;
        _offset += framed;
        Meter?.Cut(_offset);
        return chunk;
    }

    /// <summary>Reads towards <paramref name="target"/> bytes of buffered data (one read; it may return fewer).</summary>
    private void Fill(int target)
    {
        if (target > _buffer.Length)
        {
            // A document reaching past the buffer: grow to hold it. The framer has already refused
            // lengths above the maximum document size, so this is bounded.
            NativeBlock bigger = _pool.Rent(target);
            _buffer.GetSpan()[.._filled].CopyTo(bigger.GetSpan());
            _pool.Return(_buffer);
            _buffer = bigger;
        }
        int read = _stream.Read(_buffer.GetSpan()[_filled..target]);
        if (read == 0)
        {
            _eof = true;
        }
        _filled += read;
    }

    public void Dispose()
    {
        _pool.Return(_buffer);
        _pool.Dispose(); // blocks of chunks still in flight are freed when they are released
        _stream.Dispose();
    }
}
