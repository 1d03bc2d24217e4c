using System.Buffers.Binary;
using MongoDB.Bson;
using MongoDB.Bson.IO;
using MongoDB.Bson.Serialization;
using MongoDB.Bson.Serialization.Serializers;
using MongoDB.Driver;
using EtlFast.PgCopy;
using RawReader = EtlFast.Bson.BsonReader;

namespace EtlFast.Core.Sources;

/// <summary>Where a range's reading begins: its first chunk's sequence number and, when resuming, the last <c>_id</c> committed (a document <c>{_id: value}</c>).</summary>
internal readonly record struct RangeStart(long Sequence, byte[]? AfterId)
{
    public static readonly RangeStart Beginning = new(0, null);
}

/// <summary>
/// Reads ranges on one thread: a find with the range's filter, sorted on <c>_id</c> through the
/// <c>_id</c> index, each raw document copied into the chunk being packed. The <c>_id</c> of the last
/// document copied is kept (as bytes, no allocation per document), so when a getMore or the connection
/// fails the range is reopened after it (<c>$gt</c>) and nothing is read twice or skipped. A range's
/// chunks have indexes <c>range number * 2^24 + sequence</c>, and each chunk carries the <c>_id</c> of
/// its last document: a resumed load starts each range after the last <c>_id</c> its committed chunks
/// reached (<see cref="RangeStart"/>), with the next sequence number, so the documents it reads are
/// exactly those no committed chunk holds, whatever was inserted, changed or deleted meanwhile.
/// </summary>
/// <remarks>
/// Documents are copied while the driver deserializes a batch (<see cref="CopyingProjection"/>): no
/// object per document. Chunks filled by a batch wait in a short list and go to the queue once the
/// driver has returned it, so the reader never blocks inside the driver.
/// </remarks>
internal sealed class MongoRangeReader(MongoSource source, IMongoCollection<RawBsonDocument> collection, MongoRetry retry) : IRawDocumentSink, IDisposable
{
    public const int SequenceBits = 24;

    /// <summary>The sequence part of a chunk index (the range number is above it).</summary>
    public const long SequenceMask = (1L << SequenceBits) - 1;

    private static readonly BsonDocument IdIndex = new("_id", 1);
    private static readonly BsonDocumentSortDefinition<RawBsonDocument> ById = new(new BsonDocument("_id", 1));

    private NativeBlock? _buffer;
    private int _length;
    private int _documents;
    private long _sequence;
    private readonly List<(NativeBlock Buffer, int Length, int Documents, byte[]? LastId)> _full = [];
    private byte[] _lastId = new byte[64];
    private int _lastIdLength; // 0: nothing copied yet in this range; -1: the last document had no _id

    /// <summary>Reads one range (whole, or its rest after <paramref name="start"/>) and hands its chunks to the source's queue.</summary>
    public void Read(MongoRange range, RangeStart start, CancellationToken cancel)
    {
        _sequence = start.Sequence;
        _lastIdLength = 0;
        if (start.AfterId is { } after)
        {
            SetLastId(after);
        }
        var options = new FindOptions<RawBsonDocument, CopiedDocument>
        {
            Sort = ById,
            Hint = IdIndex,
            BatchSize = source.BatchSize,
            Projection = new CopyingProjection(this),
        };
        for (int failures = 0; ;)
        {
            BsonDocument? filter = range.Filter(source.UserFilter, LastId());
            if (filter is null)
            {
                break;
            }
            bool open = false;
            IAsyncCursor<CopiedDocument>? cursor = null;
            try
            {
                cursor = collection.FindSync(new BsonDocumentFilterDefinition<RawBsonDocument>(filter), options, cancel);
                open = true;
                EmitFull(range, cancel); // the first batch came with the find
                while (cursor.MoveNext(cancel))
                {
                    EmitFull(range, cancel);
                    failures = 0; // a batch got through: the fault budget is per stretch of failures
                }
                break;
            }
            catch (Exception e) when (!cancel.IsCancellationRequested && MongoErrors.IsTransient(e, open))
            {
                failures++;
                if (failures > MongoRetry.MaxRetries || _lastIdLength < 0 || (_lastIdLength > 0 && range.Group.Unranged))
                {
                    throw retry.Fail(e, $"reading _id range {range}", failures);
                }
                source.Note($"reading _id range {range}: {MongoErrors.Brief(e, null)}; reopening after the last _id read ({failures}/{MongoRetry.MaxRetries})");
                retry.Wait(failures, cancel);
            }
            catch (Exception e) when (!cancel.IsCancellationRequested && MongoRetry.IsDriverFault(e))
            {
                throw retry.Fail(e, $"reading _id range {range}", failures + 1);
            }
            finally
            {
                Close(cursor);
            }
            EmitFull(range, cancel); // what a batch copied before a fault stays: the range reopens after it
        }
        Retire();
        EmitFull(range, cancel);
    }

    private static void Close(IAsyncCursor<CopiedDocument>? cursor)
    {
        try
        {
            cursor?.Dispose(); // may try killCursors on a connection that is gone
        }
        catch (Exception e) when (MongoRetry.IsDriverFault(e))
        {
        }
    }

    /// <summary>Called by the driver for each document of a batch: copies it into the chunk being packed.</summary>
    void IRawDocumentSink.Take(BsonStream stream, int length)
    {
        // Where a chunk ends depends on the documents only, never on the block it happens to be in
        // (a reused block may have grown for a large document): the same data gives the same chunks.
        int chunkBytes = source.ChunkBytes;
        if (_documents > 0 && _length + length > chunkBytes + (chunkBytes / 4))
        {
            Retire();
        }
        _buffer ??= source.Blocks.Rent(length); // at least 1.25x the chunk size, or the document's length
        Span<byte> target = _buffer.GetSpan().Slice(_length, length);
        CopyOut(stream, target);
        RememberId(target);
        _length += length;
        _documents++;
        if (_length >= chunkBytes)
        {
            Retire();
        }
    }

    /// <summary>Copies from the driver's reply buffer without an intermediate array (its chunks, in place).</summary>
    private static void CopyOut(BsonStream stream, Span<byte> target)
    {
        if (stream is not ByteBufferStream { Buffer: { } buffer })
        {
            stream.ReadExactly(target);
            return;
        }
        int start = checked((int)stream.Position);
        for (int done = 0; done < target.Length;)
        {
            ArraySegment<byte> segment = buffer.AccessBackingBytes(start + done);
            int n = Math.Min(segment.Count, target.Length - done);
            segment.AsSpan(0, n).CopyTo(target[done..]);
            done += n;
        }
    }

    /// <summary>Closes the chunk being packed: it waits in <see cref="_full"/> until the batch is returned.</summary>
    private void Retire()
    {
        if (_buffer is null || _documents == 0)
        {
            return;
        }
        _full.Add((_buffer, _length, _documents, LastIdDocument()));
        _buffer = null;
        _length = 0;
        _documents = 0;
    }

    /// <summary>Hands the closed chunks to the queue, in order (blocks while it is full).</summary>
    private void EmitFull(MongoRange range, CancellationToken cancel)
    {
        for (int i = 0; i < _full.Count; i++)
        {
            if (_sequence >= 1L << SequenceBits)
            {
                throw new SourceException($"_id range {range} of {source.DisplayName} holds more than {1L << SequenceBits:N0} chunks",
                    "use a larger --chunk-size");
            }
            (NativeBlock buffer, int length, int documents, byte[]? lastId) = _full[i];
            _full[i] = default;
            source.Enqueue(buffer, length, ((long)range.Number << SequenceBits) | _sequence++, documents, lastId, cancel);
        }
        _full.Clear();
    }

    /// <summary>Keeps the <c>_id</c> element's bytes (nearly always the first element: one step of the reader).</summary>
    private void RememberId(ReadOnlySpan<byte> document)
    {
        var reader = RawReader.Create(document);
        if (!reader.ReadTo("_id"u8))
        {
            _lastIdLength = -1;
            return;
        }
        int start = reader.ElementStart;
        int length = reader.ValueStart + reader.ValueLength - start;
        if (length > _lastId.Length)
        {
            _lastId = new byte[Math.Max(length, _lastId.Length * 2)];
        }
        document.Slice(start, length).CopyTo(_lastId);
        _lastIdLength = length;
    }

    /// <summary>The last <c>_id</c> copied as a BSON document <c>{_id: value}</c> (once per chunk), or null when there is none.</summary>
    private byte[]? LastIdDocument()
    {
        if (_lastIdLength <= 0)
        {
            return null;
        }
        byte[] doc = new byte[_lastIdLength + 5];
        BinaryPrimitives.WriteInt32LittleEndian(doc, doc.Length);
        _lastId.AsSpan(0, _lastIdLength).CopyTo(doc.AsSpan(4));
        return doc;
    }

    /// <summary>Continues after a committed <c>_id</c>, given as the document <c>{_id: value}</c>.</summary>
    private void SetLastId(byte[] idDocument)
    {
        int length = idDocument.Length - 5;
        if (length <= 0 || BinaryPrimitives.ReadInt32LittleEndian(idDocument) != idDocument.Length)
        {
            throw new SourceException($"the stored resume position of {source.DisplayName} is damaged", "start over with --mode clean");
        }
        if (length > _lastId.Length)
        {
            _lastId = new byte[length];
        }
        idDocument.AsSpan(4, length).CopyTo(_lastId);
        _lastIdLength = length;
    }

    /// <summary>The last <c>_id</c> copied, as a value for the reopening filter (cold path: after a fault, or once per resumed range).</summary>
    private BsonValue? LastId() => LastIdDocument() is { } doc ? IdValue(doc) : null;

    /// <summary>The value of a document <c>{_id: value}</c>.</summary>
    internal static BsonValue IdValue(byte[] idDocument)
    {
        using var stream = new MemoryStream(idDocument);
        using var reader = new BsonBinaryReader(stream);
        BsonDocument parsed = BsonDocumentSerializer.Instance.Deserialize(BsonDeserializationContext.CreateRoot(reader));
        return parsed["_id"];
    }

    public void Dispose()
    {
        foreach ((NativeBlock buffer, _, _, _) in _full)
        {
            if (buffer is not null)
            {
                source.Blocks.Return(buffer);
            }
        }
        _full.Clear();
        if (_buffer is not null)
        {
            source.Blocks.Return(_buffer);
            _buffer = null;
        }
    }
}
