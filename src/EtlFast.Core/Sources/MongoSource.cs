using MongoDB.Bson;
using MongoDB.Bson.IO;
using MongoDB.Driver;

namespace EtlFast.Core.Sources;

/// <summary>
/// A live collection read through the official driver, in the RawBsonDocument style that works under
/// NativeAOT (no POCOs, LINQ or typed builders): documents sorted by <c>_id</c>, copied raw into chunks.
/// </summary>
public sealed class MongoSource : IChunkSource
{
    private readonly IAsyncCursor<RawBsonDocument> _cursor;
    private readonly ChunkPacker _packer;
    private IEnumerator<RawBsonDocument>? _batch;
    private bool _done;

    private MongoSource(IAsyncCursor<RawBsonDocument> cursor, string displayName, int chunkBytes)
    {
        _cursor = cursor;
        DisplayName = displayName;
        _packer = new ChunkPacker(chunkBytes);
    }

    public string DisplayName { get; }

    public long Position => _packer.Position;

    public static bool IsMongoUri(string from) =>
        from.StartsWith("mongodb://", StringComparison.Ordinal) || from.StartsWith("mongodb+srv://", StringComparison.Ordinal);

    /// <summary>Connects and opens the cursor. Throws <see cref="SourceException"/> naming the hosts, never the password.</summary>
    public static MongoSource Open(string uri, string database, string collection, BsonDocument? filter, int? batchSize, int chunkBytes, CancellationToken cancel)
    {
        MongoUrl url;
        try
        {
            url = MongoUrl.Create(uri);
        }
        catch (Exception e) when (e is MongoConfigurationException or ArgumentException or FormatException)
        {
            throw new SourceException($"invalid MongoDB connection string: {Redact(e.Message, uri)}",
                "write mongodb://[user:password@]host[:port][,host...]/[database][?options] (or mongodb+srv://)");
        }
        string hosts = string.Join(",", url.Servers.Select(s => s.ToString()));
        string display = $"mongodb://{hosts}/{database}.{collection}";
        try
        {
            var client = new MongoClient(MongoClientSettings.FromUrl(url));
            IMongoCollection<RawBsonDocument> coll = client.GetDatabase(database).GetCollection<RawBsonDocument>(collection);
            var options = new FindOptions<RawBsonDocument, RawBsonDocument>
            {
                Sort = new BsonDocumentSortDefinition<RawBsonDocument>(new BsonDocument("_id", 1)),
                BatchSize = batchSize,
            };
            IAsyncCursor<RawBsonDocument> cursor = coll.FindSync(
                new BsonDocumentFilterDefinition<RawBsonDocument>(filter ?? []), options, cancel);
            return new MongoSource(cursor, display, chunkBytes);
        }
        catch (Exception e) when (e is MongoException or TimeoutException)
        {
            throw new SourceException($"could not read {display}: {Redact(e.Message, uri)}",
                "check the host, port and credentials in --from, and that the server is reachable", connection: true);
        }
    }

    public Chunk? Next(CancellationToken cancel)
    {
        while (!_done)
        {
            if (_batch is null || !_batch.MoveNext())
            {
                _batch?.Dispose();
                _batch = null;
                bool more;
                try
                {
                    more = _cursor.MoveNext(cancel);
                }
                catch (Exception e) when (e is MongoException or TimeoutException or IOException)
                {
                    throw new SourceException($"lost {DisplayName} while reading: {e.Message}",
                        "committed chunks stay; re-run with --mode clean to start over", connection: true);
                }
                if (!more)
                {
                    _done = true;
                    break;
                }
                _batch = _cursor.Current.GetEnumerator();
                continue;
            }
            using RawBsonDocument doc = _batch.Current;
            IByteBuffer slice = doc.Slice;
            Span<byte> target = _packer.Reserve(slice.Length, out Chunk? full);
            CopyOut(slice, target);
            if (full is not null)
            {
                return full;
            }
            if (_packer.IsFull)
            {
                return _packer.Flush();
            }
        }
        return _packer.Flush();
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

    private static string Redact(string message, string uri)
    {
        try
        {
            string? password = MongoUrl.Create(uri).Password;
            return string.IsNullOrEmpty(password) ? message : message.Replace(password, "********", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is MongoConfigurationException or ArgumentException or FormatException)
        {
            int at = uri.LastIndexOf('@');
            return at < 0 ? message : message.Replace(uri[..at], "mongodb://********", StringComparison.Ordinal);
        }
    }

    public void Dispose()
    {
        _batch?.Dispose();
        _cursor.Dispose();
        _packer.Discard();
    }
}
