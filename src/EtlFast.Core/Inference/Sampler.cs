using System.Buffers.Binary;
using EtlFast.Core.Sources;
using MongoDB.Bson;
using MongoDB.Bson.IO;
using MongoDB.Driver;

namespace EtlFast.Core.Inference;

/// <summary>
/// Feeds a sample of a source to a <see cref="SampleWalker"/>: the first N documents of a file, dump
/// directory, .gz or standard input (the rest is never read), or N documents a live collection picks
/// with <c>$sample</c>. Returns how to name the sample in the report and the mapping's header.
/// </summary>
public static class Sampler
{
    public const int DefaultSize = 1000;

    private const int ChunkBytes = 1 << 20;

    /// <summary>The first <paramref name="size"/> documents of a BSON stream (closed afterwards); returns how to name the sample.</summary>
    public static string FromStream(OpenedSource source, int size, SampleWalker walker, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(walker);
        using var chunker = new StreamChunker(source.Stream, source.DisplayName, ChunkBytes);
        while (walker.Documents < size && chunker.Next(cancel) is { } chunk)
        {
            try
            {
                ReadOnlySpan<byte> bytes = chunk.Span;
                int pos = 0;
                while (pos < bytes.Length && walker.Documents < size)
                {
                    // The chunker framed every document: the length prefix is checked.
                    int length = BinaryPrimitives.ReadInt32LittleEndian(bytes[pos..]);
                    walker.Add(bytes.Slice(pos, length), chunk.SourceOffset + pos);
                    pos += length;
                }
            }
            finally
            {
                chunk.Release();
            }
        }
        return walker.Documents == 0 ? $"{source.DisplayName}, which holds no documents" : $"the first {walker.Documents:N0} documents of {source.DisplayName}";
    }

    /// <summary>
    /// <c>{$sample: {size: N}}</c> on a live collection, through the same connection handling as the live
    /// load source, walked as the documents arrive. A connection fault is retried briefly, each try
    /// into a fresh walker (so nothing is counted twice), then reported as <see cref="SourceException"/>.
    /// </summary>
    public static (SampleWalker Walker, string Description) FromMongo(string uri, string database, string collection, int size, CancellationToken cancel)
    {
        (MongoClient client, string hosts, string? password) = MongoSource.ConnectClient(uri, database, cancel);
        string display = $"mongodb://{hosts}/{database}.{collection}";
        using (client)
        {
            IMongoCollection<RawBsonDocument> target = client.GetDatabase(database).GetCollection<RawBsonDocument>(collection);
            var retry = new MongoRetry(display, password);
            SampleWalker walker = retry.Run(() => Walk(target, size, cancel), $"running {{$sample: {{size: {size}}}}}", cancel);
            string description = walker.Documents == 0 ? $"{display}, which is empty or does not exist" : $"{walker.Documents:N0} documents $sample picked from {display}";
            return (walker, description);
        }
    }

    private static SampleWalker Walk(IMongoCollection<RawBsonDocument> collection, int size, CancellationToken cancel)
    {
        var walker = new SampleWalker();
        BsonDocument[] stages = [new("$sample", new BsonDocument("size", size))];
        using IAsyncCursor<RawBsonDocument> cursor = collection.Aggregate(
            PipelineDefinition<RawBsonDocument, RawBsonDocument>.Create(stages), new AggregateOptions { AllowDiskUse = true }, cancel);
        byte[] buffer = [];
        long offset = 0; // there is no file: offsets count the bytes sampled so far
        while (cursor.MoveNext(cancel))
        {
            foreach (RawBsonDocument doc in cursor.Current)
            {
                using (doc)
                {
                    int length = doc.Slice.Length;
                    if (buffer.Length < length)
                    {
                        buffer = new byte[Math.Max(length, buffer.Length * 2)];
                    }
                    CopyOut(doc.Slice, buffer.AsSpan(0, length));
                    walker.Add(buffer.AsSpan(0, length), offset);
                    offset += length;
                }
            }
        }
        return walker;
    }

    private static void CopyOut(IByteBuffer slice, Span<byte> target)
    {
        int position = 0;
        while (position < target.Length)
        {
            ArraySegment<byte> segment = slice.AccessBackingBytes(position);
            int n = Math.Min(segment.Count, target.Length - position);
            segment.AsSpan(0, n).CopyTo(target[position..]);
            position += n;
        }
    }
}
