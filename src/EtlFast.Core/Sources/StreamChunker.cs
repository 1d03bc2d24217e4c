using System.Buffers;
using EtlFast.Bson;

namespace EtlFast.Core.Sources;

/// <summary>
/// Cuts a stream of BSON documents (a mongodump .bson, decompressed if need be) into chunks of about
/// <c>chunkBytes</c> at document boundaries. Runs on one thread, ahead of the workers. The chunk
/// boundaries depend only on the stream and the chunk size, so a re-run cuts the same chunks.
/// </summary>
public sealed class StreamChunker : IChunkSource
{
    private readonly Stream _stream;
    private readonly int _chunkBytes;
    private readonly int _maxDocumentSize;
    private byte[] _buffer;
    private int _filled;     // bytes of _buffer holding data; documents start at 0
    private long _offset;    // stream offset of _buffer[0]
    private long _index;
    private bool _eof;
    private BsonException? _fault; // found after some whole documents: thrown once they are handed out

    public StreamChunker(Stream stream, string displayName, int chunkBytes, int maxDocumentSize = BsonReader.DefaultMaxDocumentSize)
    {
        DisplayName = displayName;
        _stream = stream;
        _chunkBytes = chunkBytes;
        _maxDocumentSize = maxDocumentSize;
        _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
    }

    public string DisplayName { get; }

    /// <summary>Bytes read from the underlying file, for progress (set by whoever opened the stream).</summary>
    public ReadMeter? Meter { get; init; }

    private int BufferSize => _chunkBytes + (_chunkBytes / 4);

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
        while (true)
        {
            int available = _filled - framed;
            OperationStatus status = OperationStatus.NeedMoreData;
            int length = 0;
            if (available >= 4)
            {
                try
                {
                    status = BsonFramer.TryFrame(_buffer.AsSpan(framed, available), _offset + framed, _maxDocumentSize, out length);
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
            if (_filled == _buffer.Length && documents > 0)
            {
                break; // the next document does not fit: hand out what we have
            }
            cancel.ThrowIfCancellationRequested();
            Fill();
        }

        if (documents == 0)
        {
            return null;
        }
        int rest = _filled - framed;
        byte[] next = ArrayPool<byte>.Shared.Rent(Math.Max(BufferSize, rest));
        _buffer.AsSpan(framed, rest).CopyTo(next);
        var chunk = new Chunk(_buffer, framed, _offset, _index++, documents);
        _buffer = next;
        _filled = rest;
        _offset += framed;
        Meter?.Cut(_offset);
        return chunk;
    }

    private void Fill()
    {
        if (_filled == _buffer.Length)
        {
            // One document larger than the buffer: grow to hold it. The framer has already refused
            // lengths above the maximum document size, so this is bounded.
            byte[] bigger = ArrayPool<byte>.Shared.Rent(Math.Min(_buffer.Length * 2, _maxDocumentSize + BufferSize));
            _buffer.AsSpan(0, _filled).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }
        int read = _stream.Read(_buffer, _filled, _buffer.Length - _filled);
        if (read == 0)
        {
            _eof = true;
        }
        _filled += read;
    }

    public void Dispose()
    {
        byte[] b = _buffer;
        _buffer = [];
        if (b.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(b);
        }
        _stream.Dispose();
    }
}
