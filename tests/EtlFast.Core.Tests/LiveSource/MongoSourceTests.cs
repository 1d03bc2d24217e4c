using EtlFast.Core.Sources;
using EtlFast.Core.Tests.TestSupport;
using EtlFast.WireServer;
using MongoDB.Bson;

namespace EtlFast.Core.Tests.LiveSource;

using WireServer = EtlFast.WireServer.WireServer;

/// <summary>
/// The live source on its own, against the in-process wire server: every document of every
/// <c>_id</c> type handed out exactly once, chunks in index order giving the collection in <c>_id</c>
/// order, the same chunks whatever the number of readers or the faults on the way.
/// </summary>
public sealed class MongoSourceTests
{
    private const int ChunkBytes = 16 * 1024;

    private static MongoSource Open(WireServer server, int readers, int? batchSize = null, BsonDocument? filter = null, string collection = "c")
        => MongoSource.Open(LiveKit.Uri(server), "db", collection, filter, batchSize, ChunkBytes, CancellationToken.None, readers);

    private static SortedDictionary<long, List<BsonDocument>> ReadAll(WireServer server, int readers, int? batchSize = null)
    {
        using MongoSource source = Open(server, readers, batchSize);
        return LiveKit.Drain(source);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Every_type_group_is_read_once_and_index_order_is_id_order(int readers)
    {
        await using var server = new WireServer();
        List<BsonDocument> docs = MixedIds.EveryGroup();
        server.AddDocuments("db", "c", docs);

        using MongoSource source = Open(server, readers, batchSize: 100);
        SortedDictionary<long, List<BsonDocument>> chunks = LiveKit.Drain(source);

        // The server keeps documents in MongoDB's _id order: chunks sorted by index must give exactly that.
        List<BsonDocument> expected = [.. server.GetDocuments("db", "c")];
        List<BsonDocument> got = LiveKit.InIndexOrder(chunks);
        Assert.Equal(expected.Count, got.Count);
        Assert.Equal(expected.Select(d => d["_id"].ToString()), got.Select(d => d["_id"].ToString()));
        Assert.Equal(expected.Select(d => d["i"].AsInt32), got.Select(d => d["i"].AsInt32));
        Assert.Equal(expected.Select(d => Convert.ToHexString(d.ToBson())), got.Select(d => Convert.ToHexString(d.ToBson()))); // NaN != NaN for BsonDouble.Equals
        Assert.True(source.Ranges >= 14, $"expected the planner to split the big groups; {source.Ranges} ranges");
        Assert.Equal(Math.Min(readers, source.Ranges), source.Readers);
        Assert.Equal(docs.Sum(d => (long)d.ToBson().Length), source.Position);
    }

    [Fact]
    public async Task The_same_data_gives_the_same_chunks_with_one_or_three_readers()
    {
        await using var server = new WireServer();
        server.AddDocuments("db", "c", MixedIds.Common());
        string one = LiveKit.Layout(ReadAll(server, 1));
        string three = LiveKit.Layout(ReadAll(server, 3));
        Assert.Equal(one, three);
        Assert.Equal(one, LiveKit.Layout(ReadAll(server, 2, batchSize: 7)));
    }

    /// <summary>
    /// Documents are copied out of the driver's reply buffers into pooled chunk blocks: one larger than a
    /// block gets a block of its own, and every document arrives whole, once, byte for byte.
    /// </summary>
    [Fact]
    public async Task Documents_larger_than_a_chunk_arrive_whole_and_chunks_stay_bounded()
    {
        await using var server = new WireServer();
        var random = new Random(7);
        List<BsonDocument> docs = [.. Enumerable.Range(0, 300).Select(i => new BsonDocument
        {
            { "_id", i },
            { "i", i },
            // Mostly small, every 25th from 1 to 3 chunk sizes.
            { "pad", new string((char)('a' + (i % 26)), i % 25 == 0 ? ChunkBytes * (1 + (i / 25 % 3)) : random.Next(10, 2_000)) },
        })];
        server.AddDocuments("db", "c", docs);

        using MongoSource source = Open(server, readers: 2, batchSize: 50);
        var seen = new List<BsonDocument>();
        while (source.Next(CancellationToken.None) is { } chunk)
        {
            try
            {
                List<BsonDocument> inChunk = BsonFile.Decode(chunk.Span.ToArray());
                Assert.Equal(chunk.Documents, inChunk.Count);
                Assert.True(chunk.Length <= ChunkBytes + (ChunkBytes / 4) || inChunk.Count == 1,
                    $"chunk {chunk.Index}: {chunk.Length} bytes in {inChunk.Count} documents");
                seen.AddRange(inChunk);
            }
            finally
            {
                chunk.Release();
            }
        }
        Assert.Equal(docs.Count, seen.Count);
        Assert.Equal(
            docs.Select(d => Convert.ToHexString(d.ToBson())).Order(StringComparer.Ordinal),
            seen.Select(d => Convert.ToHexString(d.ToBson())).Order(StringComparer.Ordinal));
        // Blocks grown for the large documents are reused in whatever order the readers return them:
        // the chunks must not depend on it (--resume relies on the same data giving the same chunks).
        string one = LiveKit.Layout(ReadAll(server, 1, batchSize: 50));
        Assert.Equal(one, LiveKit.Layout(ReadAll(server, 3, batchSize: 50)));
        Assert.Equal(one, LiveKit.Layout(ReadAll(server, 2, batchSize: 7)));
    }

    [Theory]
    [InlineData("drop-server")]
    [InlineData("drop-every-cursor")]
    [InlineData("cursor-not-found")]
    [InlineData("getmore-error")]
    public async Task A_fault_mid_range_reopens_after_the_last_id_and_changes_nothing(string fault)
    {
        await using var server = new WireServer();
        server.AddDocuments("db", "c", MixedIds.Common());
        string clean = LiveKit.Layout(ReadAll(server, 2, batchSize: 40));

        switch (fault)
        {
            case "drop-server":
                server.Faults.DropConnectionAfterBatches(40, FaultScope.Server);
                break;
            case "drop-every-cursor":
                server.Faults.DropConnectionAfterBatches(3, FaultScope.Cursor);
                break;
            case "cursor-not-found":
                server.Faults.FailGetMore(4, 43, "CursorNotFound", "cursor id 1 not found");
                break;
            default:
                server.Faults.FailGetMore(6, 1, "InternalError");
                break;
        }
        using MongoSource source = Open(server, 2, batchSize: 40);
        var notes = new List<string>();
        source.Log = m =>
        {
            lock (notes)
            {
                notes.Add(m);
            }
        };
        SortedDictionary<long, List<BsonDocument>> chunks = LiveKit.Drain(source);

        Assert.True(server.Faults.ConnectionsDropped + server.Faults.GetMoresFailed > 0, "the fault never fired");
        Assert.True(source.Reopened > 0, "no range was reopened");
        Assert.Equal(clean, LiveKit.Layout(chunks));
    }

    [Fact]
    public async Task Skewed_numbers_fall_back_to_buckets_and_give_even_ranges()
    {
        // int32 and double _ids near zero next to int64 ones near 5e9: evenly spaced split points
        // would put two thirds of the numbers in the first range.
        await using var server = new WireServer();
        server.AddDocuments("db", "c", MixedIds.Common());
        SortedDictionary<long, List<BsonDocument>> chunks = ReadAll(server, 2);
        var perRange = chunks.SelectMany(c => c.Value.Select(d => (Range: c.Key >> MongoRangeReader.SequenceBits, Tag: d["tag"].AsString)))
            .Where(x => x.Tag is "int32" or "int64" or "double")
            .GroupBy(x => x.Range)
            .Select(g => g.Count())
            .ToList();
        Assert.Equal(2100, perRange.Sum());
        int fair = 2100 / MongoRangePlanner.Parts(2100);
        Assert.True(perRange.Count >= 4 && perRange.Max() <= 2 * fair, $"numeric ranges hold {string.Join(", ", perRange)} documents (fair share {fair})");
    }

    [Fact]
    public async Task Documents_inserted_while_reading_never_double_or_hide_the_others()
    {
        await using var server = new WireServer();
        List<BsonDocument> docs = MixedIds.Common(400);
        server.AddDocuments("db", "c", docs);
        using MongoSource source = Open(server, 2, batchSize: 10);

        var chunks = new List<List<BsonDocument>>();
        Chunk? first = source.Next(CancellationToken.None);
        Assert.NotNull(first);
        chunks.Add(TestSupport.BsonFile.Decode(first.Span.ToArray()));
        first.Release();
        // New documents below, inside and above every group's range, while the readers are at work.
        int n = docs.Count;
        var added = new List<BsonDocument>();
        for (int k = 0; k < 200; k++)
        {
            BsonValue id = (k % 5) switch
            {
                0 => new BsonInt32(-1_000_000 - k),
                1 => new BsonDouble(1000.125 + k),
                2 => new BsonString($"user-{k:D5}-zz"),
                3 => MixedIds.Oid(1_900_000_000 + k, k, k),
                _ => new BsonInt64(9_000_000_000_000L + k),
            };
            added.Add(new BsonDocument { { "_id", id }, { "i", n + k }, { "tag", "added" } });
        }
        server.AddDocuments("db", "c", added);
        foreach (List<BsonDocument> c in LiveKit.Drain(source).Values)
        {
            chunks.Add(c);
        }

        var seen = new Dictionary<int, int>();
        foreach (BsonDocument d in chunks.SelectMany(c => c))
        {
            seen[d["i"].AsInt32] = seen.GetValueOrDefault(d["i"].AsInt32) + 1;
        }
        Assert.All(seen, kv => Assert.True(kv.Value == 1, $"document i={kv.Key} handed out {kv.Value} times"));
        Assert.All(Enumerable.Range(0, n), i => Assert.True(seen.ContainsKey(i), $"document i={i}, there all along, was not handed out"));
    }

    [Fact]
    public async Task A_user_filter_is_applied_inside_every_range()
    {
        await using var server = new WireServer();
        List<BsonDocument> docs = MixedIds.Common();
        server.AddDocuments("db", "c", docs);
        using MongoSource source = Open(server, 2, filter: new BsonDocument("tag", new BsonDocument("$in", new BsonArray { "int64", "string" })));
        List<int> got = [.. LiveKit.InIndexOrder(LiveKit.Drain(source)).Select(d => d["i"].AsInt32).Order()];
        Assert.Equal(docs.Where(d => d["tag"] == "int64" || d["tag"] == "string").Select(d => d["i"].AsInt32).Order(), got);
    }

    [Fact]
    public async Task An_empty_or_missing_collection_gives_no_chunk()
    {
        await using var server = new WireServer();
        using MongoSource source = Open(server, 3, collection: "nothing_here");
        Assert.Null(source.Next(CancellationToken.None));
        Assert.Equal(0, source.Position);
    }

    [Fact]
    public async Task An_unreachable_server_is_a_short_connection_error_without_the_password()
    {
        await using var server = new WireServer();
        server.Faults.RefuseConnections = true;
        string uri = $"mongodb://reader:s3cr3t-pw@127.0.0.1:{server.Port}/?directConnection=true&serverSelectionTimeoutMS=1500";
        var e = Assert.Throws<SourceException>(() => MongoSource.Open(uri, "db", "c", null, null, ChunkBytes, CancellationToken.None, 2));
        Assert.True(e.IsConnection);
        Assert.Contains($"127.0.0.1:{server.Port}", e.Message);
        Assert.DoesNotContain("s3cr3t-pw", e.Message + e.Hint);
        Assert.True(e.Message.Length < 400, $"message too long ({e.Message.Length}): {e.Message}");
    }

    [Fact]
    public void Split_points_are_increasing_and_inside_the_group()
    {
        List<BsonValue> ints = MongoSplitPoints.Between(MongoSplit.Numbers, new BsonInt32(-100), new BsonInt64(long.MaxValue), 8)!;
        Assert.Equal(7, ints.Count);
        Assert.All(ints, p => Assert.Equal(BsonType.Int64, p.BsonType));
        Assert.Equal(ints.Select(p => p.AsInt64).Order(), ints.Select(p => p.AsInt64));
        Assert.True(ints[0].AsInt64 > -100);

        List<BsonValue> doubles = MongoSplitPoints.Between(MongoSplit.Numbers, new BsonDouble(-1e308), new BsonDouble(1e308), 4)!;
        Assert.Equal([-5e307, 0, 5e307], doubles.Select(p => p.AsDouble));
        Assert.Null(MongoSplitPoints.Between(MongoSplit.Numbers, new BsonDouble(double.NegativeInfinity), new BsonDouble(1), 4));
        Assert.Empty(MongoSplitPoints.Between(MongoSplit.Numbers, new BsonInt32(3), new BsonInt32(3), 4)!);
        Assert.Equal([1L], MongoSplitPoints.Between(MongoSplit.Numbers, new BsonInt32(0), new BsonInt32(2), 16)!.Select(p => p.AsInt64));

        var lo = ObjectId.Parse("600000000000000000000000");
        var hi = ObjectId.Parse("640000000000000000000000");
        Assert.Equal(["610000000000000000000000", "620000000000000000000000", "630000000000000000000000"],
            MongoSplitPoints.Between(MongoSplit.ObjectId, lo, hi, 4)!.Select(p => p.AsObjectId.ToString()));

        var dates = MongoSplitPoints.Between(MongoSplit.Date, new BsonDateTime(-1000), new BsonDateTime(2000), 3)!;
        Assert.Equal([0L, 1000L], dates.Select(p => p.AsBsonDateTime.MillisecondsSinceEpoch));
        Assert.Equal(3, MongoSplitPoints.Between(MongoSplit.Date, new BsonDateTime(long.MinValue), new BsonDateTime(long.MaxValue), 4)!.Count);
        Assert.Equal([1L << 32], MongoSplitPoints.Between(MongoSplit.Timestamp, new BsonTimestamp(0), new BsonTimestamp(2L << 32), 2)!
            .Select(p => p.AsBsonTimestamp.Value));
    }
}
