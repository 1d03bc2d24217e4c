using System.Buffers.Binary;
using EtlFast.Core.Sources;
using MongoDB.Bson;
using MongoDB.Bson.IO;
using MongoDB.Driver;

namespace EtlFast.Core.Inference;

/// <summary>
/// Feeds a sample of a source to a <see cref="SampleWalker"/>: the first N documents of a file, dump
/// directory, .gz or standard input (the rest is never read), or N documents a live collection picks
/// with <c>$sample</c> (or its first N, where the server has no <c>$sample</c>). Returns how to name the sample in the report and the mapping's header.
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
    /// load source, walked as the documents arrive. A server without <c>$sample</c> (some
    /// MongoDB-compatible services) gives the first N documents in natural order instead, and the
    /// description says so. A connection fault is retried briefly, each try into a fresh walker (so
    /// nothing is counted twice), then reported as <see cref="SourceException"/>.
    /// </summary>
    public static (SampleWalker Walker, string Description, IReadOnlyList<SourceIndex> Indexes) FromMongo(string uri, string database, string collection, int size, CancellationToken cancel)
    {
        (MongoClient client, string hosts, string? password) = MongoSource.ConnectClient(uri, database, cancel);
        string display = $"mongodb://{hosts}/{database}.{collection}";
        using (client)
        {
            IMongoCollection<RawBsonDocument> target = client.GetDatabase(database).GetCollection<RawBsonDocument>(collection);
            var retry = new MongoRetry(display, password);
            IReadOnlyList<SourceIndex> indexes = Indexes(target, cancel);
            BsonDocument[] stages = [new("$sample", new BsonDocument("size", size))];
            SampleWalker? walker = retry.Run(() => Walk(() => target.Aggregate(
                PipelineDefinition<RawBsonDocument, RawBsonDocument>.Create(stages), new AggregateOptions { AllowDiskUse = true }, cancel), cancel),
                $"running {{$sample: {{size: {size}}}}}", cancel);
            if (walker is not null)
            {
                return (walker, walker.Documents == 0 ? $"{display}, which is empty or does not exist" : $"{walker.Documents:N0} documents $sample picked from {display}", indexes);
            }
            var first = new FindOptions<RawBsonDocument, RawBsonDocument> { Limit = size };
            var all = new BsonDocumentFilterDefinition<RawBsonDocument>([]);
            walker = retry.Run(() => Walk(() => target.FindSync(all, first, cancel), cancel), $"reading the first {size:N0} documents", cancel)
                ?? throw new SourceException($"the server does not implement find or $sample ({display})", "MongoDB-compatible services lack some of mongod's commands and aggregation stages");
            return (walker, walker.Documents == 0
                ? $"{display}, which is empty or does not exist (the server does not implement $sample)"
                : $"the first {walker.Documents:N0} documents in natural order of {display} (the server does not implement $sample)", indexes);
        }
    }

    /// <summary>The collection's indexes (listIndexes), none when the server does not implement it.</summary>
    private static List<SourceIndex> Indexes(IMongoCollection<RawBsonDocument> target, CancellationToken cancel)
    {
        var found = new List<SourceIndex>();
        try
        {
            foreach (BsonDocument spec in target.Indexes.List(cancel).ToList(cancel))
            {
                if (spec.TryGetValue("key", out BsonValue key) && key is BsonDocument fields)
                {
                    var parts = fields.Elements.Select(e => (e.Name, e.Value.IsString ? e.Value.AsString : null)).ToList();
                    string? name = spec.TryGetValue("name", out BsonValue n) && n.IsString ? n.AsString : null;
                    bool unique = spec.TryGetValue("unique", out BsonValue u) && u.IsBoolean && u.AsBoolean;
                    if (SourceIndexes.Of(name, parts, unique, spec.Contains("partialFilterExpression")) is { } index)
                    {
                        found.Add(index);
                    }
                }
            }
        }
        catch (MongoCommandException e) when (MongoErrors.IsNotImplemented(e) || e.Code == 26)
        {
            // a service without listIndexes, or a collection that does not exist (NamespaceNotFound): no index to propose
        }
        return found;
    }

    /// <summary>Walks what the cursor returns; null when the server does not implement the command or stage it sends.</summary>
    private static SampleWalker? Walk(Func<IAsyncCursor<RawBsonDocument>> open, CancellationToken cancel)
    {
        var walker = new SampleWalker();
        IAsyncCursor<RawBsonDocument> cursor;
        try
        {
            cursor = open();
        }
        catch (MongoCommandException e) when (MongoErrors.IsNotImplemented(e))
        {
            return null;
        }
        byte[] buffer = [];
        long offset = 0; // there is no file: offsets count the bytes sampled so far
        using (cursor)
        {
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
