using MongoDB.Bson;
using MongoDB.Driver;

namespace EtlFast.Core.Tests.WireServerTests;

using WireServer = EtlFast.WireServer.WireServer;

public sealed class DriverAggregateTests
{
    private static List<BsonDocument> Aggregate(IMongoCollection<BsonDocument> coll, params BsonDocument[] stages) =>
        coll.Aggregate<BsonDocument>(stages).ToList();

    [Fact]
    public async Task Count_commands_and_count_pipelines_agree()
    {
        await using var server = new WireServer();
        server.AddDocuments("db", "c", WireKit.IntDocs(100));
        using var client = WireKit.Client(server);
        var coll = WireKit.Collection(client);

        Assert.Equal(100, coll.EstimatedDocumentCount());
        // CountDocuments is an aggregate: $match then $group {_id: 1, n: {$sum: 1}}.
        Assert.Equal(30, coll.CountDocuments(new BsonDocument("_id", new BsonDocument("$gte", 70))));
        var count = client.GetDatabase("db").RunCommand<BsonDocument>(
            new BsonDocument { { "count", "c" }, { "query", new BsonDocument("n", 0) } });
        Assert.Equal(15, count["n"].ToInt32());
        var counted = Aggregate(coll, new BsonDocument("$match", new BsonDocument("n", 1)), new BsonDocument("$count", "k"));
        Assert.Equal(new BsonDocument("k", 15), counted.Single()); // 1, 8, ..., 99
        Assert.Empty(Aggregate(coll, new BsonDocument("$match", new BsonDocument("n", 99)), new BsonDocument("$count", "k")));
        Assert.Contains(server.ReceivedCommands(), c => c.Name == "count");
    }

    [Fact]
    public async Task Group_min_max_of_id()
    {
        await using var server = new WireServer();
        server.AddDocuments("db", "c", WireKit.IntDocs(40).Append(new BsonDocument("_id", "text")));
        using var client = WireKit.Client(server);
        var coll = WireKit.Collection(client);
        var stats = Aggregate(coll, new BsonDocument("$group", new BsonDocument
        {
            { "_id", BsonNull.Value }, { "n", new BsonDocument("$sum", 1) },
            { "min", new BsonDocument("$min", "$_id") }, { "max", new BsonDocument("$max", "$_id") },
        })).Single();
        Assert.Equal(new BsonDocument { { "_id", BsonNull.Value }, { "n", 41 }, { "min", 0 }, { "max", "text" } }, stats);

        var ranged = Aggregate(coll,
            new BsonDocument("$match", new BsonDocument("_id", new BsonDocument { { "$gte", 10 }, { "$lt", 20 } })),
            new BsonDocument("$group", new BsonDocument { { "_id", "$n" }, { "c", new BsonDocument("$count", new BsonDocument()) } }),
            new BsonDocument("$sort", new BsonDocument("_id", 1)));
        Assert.Equal(7, ranged.Count);
        Assert.Equal(10, ranged.Sum(d => d["c"].AsInt32));
    }

    [Fact]
    public async Task BucketAuto_splits_ids_into_contiguous_buckets()
    {
        await using var server = new WireServer();
        server.AddDocuments("db", "c", WireKit.IntDocs(100));
        using var client = WireKit.Client(server);
        var coll = WireKit.Collection(client);

        var buckets = Aggregate(coll, new BsonDocument("$bucketAuto", new BsonDocument { { "groupBy", "$_id" }, { "buckets", 4 } }));
        Assert.Equal(4, buckets.Count);
        Assert.Equal(new BsonDocument { { "_id", new BsonDocument { { "min", 0 }, { "max", 25 } } }, { "count", 25 } }, buckets[0]);
        // Each max is the next min (exclusive); the last max is the largest value (inclusive).
        for (int i = 1; i < 4; i++)
        {
            Assert.Equal(buckets[i - 1]["_id"]["max"], buckets[i]["_id"]["min"]);
        }
        Assert.Equal(99, buckets[3]["_id"]["max"].AsInt32);
        Assert.Equal(100, buckets.Sum(b => b["count"].AsInt32));

        // 10 documents into 3 buckets: round(10/3) = 3, the last bucket takes the rest.
        var uneven = Aggregate(coll,
            new BsonDocument("$match", new BsonDocument("_id", new BsonDocument("$lt", 10))),
            new BsonDocument("$bucketAuto", new BsonDocument { { "groupBy", "$_id" }, { "buckets", 3 } }));
        Assert.Equal([3, 3, 4], uneven.Select(b => b["count"].AsInt32));
    }

    [Fact]
    public async Task BucketAuto_keeps_equal_values_in_one_bucket()
    {
        await using var server = new WireServer();
        server.AddDocuments("db", "c", Enumerable.Range(0, 10).Select(i => new BsonDocument { { "_id", i }, { "g", i < 6 ? 0 : i } }));
        using var client = WireKit.Client(server);
        var buckets = Aggregate(WireKit.Collection(client), new BsonDocument("$bucketAuto", new BsonDocument { { "groupBy", "$g" }, { "buckets", 5 } }));
        Assert.Equal(6, buckets[0]["count"].AsInt32);
        Assert.Equal(new BsonDocument { { "min", 0 }, { "max", 6 } }, buckets[0]["_id"]);
        Assert.Equal(10, buckets.Sum(b => b["count"].AsInt32));
    }

    [Fact]
    public async Task Sample_returns_distinct_documents_then_sort_and_project_them()
    {
        await using var server = new WireServer();
        server.SetRandomSeed(42);
        server.AddDocuments("db", "c", WireKit.IntDocs(200));
        using var client = WireKit.Client(server);
        var coll = WireKit.Collection(client);
        var sample = Aggregate(coll,
            new BsonDocument("$sample", new BsonDocument("size", 20)),
            new BsonDocument("$project", new BsonDocument("_id", 1)),
            new BsonDocument("$sort", new BsonDocument("_id", 1)));
        Assert.Equal(20, sample.Count);
        Assert.Equal(20, sample.Select(d => d["_id"].AsInt32).Distinct().Count());
        Assert.All(sample, d => Assert.Equal(1, d.ElementCount));
        Assert.Equal(sample.Select(d => d["_id"].AsInt32).Order(), sample.Select(d => d["_id"].AsInt32));
        Assert.NotEqual(Enumerable.Range(0, 20), sample.Select(d => d["_id"].AsInt32));

        var all = Aggregate(coll, new BsonDocument("$sample", new BsonDocument("size", 1000)));
        Assert.Equal(200, all.Count);
    }

    [Fact]
    public async Task Aggregate_results_page_through_getMore()
    {
        await using var server = new WireServer();
        server.AddDocuments("db", "c", WireKit.IntDocs(50));
        using var client = WireKit.Client(server);
        var options = new AggregateOptions { BatchSize = 8 };
        using var cursor = WireKit.Collection(client).Aggregate<BsonDocument>(
            new[] { new BsonDocument("$project", new BsonDocument("_id", 1)) }, options);
        var (docs, batches) = WireKit.Drain(cursor);
        Assert.Equal(Enumerable.Range(0, 50), docs.Select(d => d["_id"].AsInt32));
        Assert.Equal(7, batches.Count);
    }
}
