using EtlFast.WireServer;
using MongoDB.Bson;
using MongoDB.Driver;

namespace EtlFast.Core.Tests.WireServerTests;

using WireServer = EtlFast.WireServer.WireServer;

/// <summary>The wire server's writes and change streams, as the official driver uses them.</summary>
public sealed class DriverChangeStreamTests
{
    private static readonly ChangeStreamOptions Lookup = new() { FullDocument = ChangeStreamFullDocumentOption.UpdateLookup, MaxAwaitTime = TimeSpan.FromMilliseconds(200) };

    /// <summary>Reads changes until <paramref name="count"/> have come (each getMore waits at most MaxAwaitTime; 60 s in all).</summary>
    private static List<ChangeStreamDocument<BsonDocument>> Take(IChangeStreamCursor<ChangeStreamDocument<BsonDocument>> cursor, int count)
    {
        var got = new List<ChangeStreamDocument<BsonDocument>>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (got.Count < count)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"only {got.Count} of {count} changes came in 60 s");
            Assert.True(cursor.MoveNext(), "the change stream ended");
            got.AddRange(cursor.Current);
        }
        return got;
    }

    [Fact]
    public async Task Every_write_the_driver_makes_reaches_the_change_stream_with_its_document()
    {
        await using var server = new WireServer();
        server.AddDocuments("db", "c", WireKit.IntDocs(3));
        using var client = WireKit.Client(server);
        var coll = WireKit.Collection(client);
        using var stream = coll.Watch(Lookup);

        coll.InsertOne(new BsonDocument { { "_id", 10 }, { "tags", new BsonArray { "a" } }, { "n", 1 } });
        coll.UpdateOne(new BsonDocument("_id", 10), new BsonDocument
        {
            { "$set", new BsonDocument("address.city", "Oslo") },
            { "$inc", new BsonDocument("n", 2) },
            { "$push", new BsonDocument("tags", new BsonDocument("$each", new BsonArray { "b", "c" })) },
        });
        coll.UpdateOne(new BsonDocument("_id", 10), new BsonDocument { { "$pull", new BsonDocument("tags", "a") }, { "$unset", new BsonDocument("n", "") } });
        coll.ReplaceOne(new BsonDocument("_id", 1), new BsonDocument("s", "replaced"));
        Assert.Equal(3, coll.DeleteMany(new BsonDocument("_id", new BsonDocument("$lte", 2))).DeletedCount);
        coll.UpdateOne(new BsonDocument("_id", 0), new BsonDocument("$set", new BsonDocument("s", "gone"))); // matches nothing now

        var changes = Take(stream, 7);
        Assert.Equal(["insert", "update", "update", "replace", "delete", "delete", "delete"], changes.Select(c => c.OperationType.ToString().ToLowerInvariant()));
        Assert.Equal([10, 10, 10, 1, 0, 1, 2], changes.Select(c => c.DocumentKey["_id"].AsInt32));
        Assert.Equal(new BsonDocument { { "_id", 10 }, { "tags", new BsonArray { "a" } }, { "n", 1 } }, changes[0].FullDocument);
        // updateLookup: the document as it is when read, so both updates carry the final version.
        var final = new BsonDocument { { "_id", 10 }, { "tags", new BsonArray { "b", "c" } }, { "address", new BsonDocument("city", "Oslo") } };
        Assert.Equal(final, changes[1].FullDocument);
        Assert.Equal(final, server.GetDocuments("db", "c").Single(d => d["_id"] == 10));
        Assert.Equal("Oslo", changes[1].UpdateDescription.UpdatedFields["address.city"].AsString);
        Assert.Equal(3, changes[1].UpdateDescription.UpdatedFields["n"].AsInt32);
        Assert.Equal(["n"], changes[2].UpdateDescription.RemovedFields);
        Assert.Equal(new BsonDocument { { "_id", 1 }, { "s", "replaced" } }, changes[3].FullDocument);
        Assert.All(changes, c => Assert.Equal("c", c.CollectionNamespace.CollectionName));
        Assert.True(changes.Zip(changes.Skip(1)).All(p => p.First.ClusterTime < p.Second.ClusterTime), "cluster times must increase");
        Assert.Equal([10], server.GetDocuments("db", "c").Select(d => d["_id"].AsInt32));
    }

    [Fact]
    public async Task A_stream_resumed_after_a_token_continues_with_the_next_change_and_a_lost_position_is_refused()
    {
        await using var server = new WireServer();
        using var client = WireKit.Client(server);
        var coll = WireKit.Collection(client);
        BsonDocument start;
        using (var stream = coll.Watch(Lookup))
        {
            start = stream.GetResumeToken();
        }
        coll.InsertMany(WireKit.IntDocs(5));
        using (var resumed = coll.Watch(new ChangeStreamOptions { ResumeAfter = start, MaxAwaitTime = TimeSpan.FromMilliseconds(200) }))
        {
            var first = Take(resumed, 5);
            Assert.Equal([0, 1, 2, 3, 4], first.Select(c => c.DocumentKey["_id"].AsInt32));
            using var fromSecond = coll.Watch(new ChangeStreamOptions { ResumeAfter = first[1].ResumeToken, MaxAwaitTime = TimeSpan.FromMilliseconds(200) });
            Assert.Equal([2, 3, 4], Take(fromSecond, 3).Select(c => c.DocumentKey["_id"].AsInt32));
            using var atTime = coll.Watch(new ChangeStreamOptions { StartAtOperationTime = first[3].ClusterTime, MaxAwaitTime = TimeSpan.FromMilliseconds(200) });
            Assert.Equal([3, 4], Take(atTime, 2).Select(c => c.DocumentKey["_id"].AsInt32));
        }

        server.OplogCapacity = 2; // the oplog now holds the last two writes only
        var lost = Assert.Throws<MongoCommandException>(() => coll.Watch(new ChangeStreamOptions { ResumeAfter = start }));
        Assert.Equal(286, lost.Code);
        Assert.Equal("ChangeStreamHistoryLost", lost.CodeName);
    }

    [Fact]
    public async Task A_dropped_connection_or_a_resumable_error_mid_stream_is_resumed_by_the_driver_with_nothing_lost_or_doubled()
    {
        await using var server = new WireServer();
        using var client = WireKit.Client(server);
        var coll = WireKit.Collection(client);
        using var stream = coll.Watch(new ChangeStreamOptions { BatchSize = 3, MaxAwaitTime = TimeSpan.FromMilliseconds(200) });
        coll.InsertMany(WireKit.IntDocs(20));
        server.Faults.DropConnectionAfterBatches(2, FaultScope.Cursor);
        var before = Take(stream, 6);
        server.Faults.Clear();
        server.Faults.FailGetMore(1, 262, "ExceededTimeLimit", labels: ["ResumableChangeStreamError"]);
        var after = Take(stream, 14);

        Assert.Equal(Enumerable.Range(0, 20), before.Concat(after).Select(c => c.DocumentKey["_id"].AsInt32));
        Assert.True(server.Faults.ConnectionsDropped >= 1, "the drop fault never fired");
        Assert.Equal(1, server.Faults.GetMoresFailed);
        var streams = server.ReceivedCommands().Count(c => c.Name == "aggregate");
        Assert.True(streams >= 3, $"the driver opened the stream {streams} times: a resume after each fault was expected");
    }

    [Fact]
    public async Task An_error_without_the_resumable_label_reaches_the_application()
    {
        await using var server = new WireServer();
        using var client = WireKit.Client(server);
        var coll = WireKit.Collection(client);
        using var stream = coll.Watch(new ChangeStreamOptions { MaxAwaitTime = TimeSpan.FromMilliseconds(100) });
        Assert.True(stream.MoveNext()); // the aggregate's own, empty, first batch
        server.Faults.FailGetMore(1, 2, "BadValue", "no resume for this one");
        var e = Assert.Throws<MongoCommandException>(() => stream.MoveNext());
        Assert.Contains("no resume for this one", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_drop_ends_the_stream_with_drop_and_invalidate()
    {
        await using var server = new WireServer();
        using var client = WireKit.Client(server);
        var coll = WireKit.Collection(client);
        using var stream = coll.Watch(new ChangeStreamOptions { MaxAwaitTime = TimeSpan.FromMilliseconds(200) });
        coll.InsertOne(new BsonDocument("_id", 1));
        client.GetDatabase("db").DropCollection("c");
        var changes = Take(stream, 3);
        Assert.Equal([ChangeStreamOperationType.Insert, ChangeStreamOperationType.Drop, ChangeStreamOperationType.Invalidate], changes.Select(c => c.OperationType));
        Assert.False(stream.MoveNext(), "the stream must end after its invalidate");
        var e = Assert.Throws<MongoCommandException>(() => coll.Watch(new ChangeStreamOptions { ResumeAfter = changes[2].ResumeToken }));
        Assert.Equal(260, e.Code);
    }

    [Fact]
    public async Task Writes_the_server_does_not_implement_are_refused_by_name()
    {
        await using var server = new WireServer();
        server.AddDocuments("db", "c", WireKit.IntDocs(2));
        using var client = WireKit.Client(server);
        var coll = WireKit.Collection(client);
        var op = Assert.Throws<MongoCommandException>(() => coll.UpdateOne(new BsonDocument("_id", 1), new BsonDocument("$rename", new BsonDocument("s", "t"))));
        Assert.Contains("does not implement update operator '$rename'", op.Message, StringComparison.Ordinal);
        var id = Assert.Throws<MongoWriteException>(() => coll.ReplaceOne(new BsonDocument("_id", 1), new BsonDocument("_id", 2)));
        Assert.Contains("immutable field '_id'", id.Message, StringComparison.Ordinal);
        var stage = Assert.Throws<MongoCommandException>(() => coll.Watch(
            new EmptyPipelineDefinition<ChangeStreamDocument<BsonDocument>>().Match(new BsonDocument("operationType", "insert"))));
        Assert.Contains("does not implement stage '$match' after $changeStream", stage.Message, StringComparison.Ordinal);
        var images = Assert.Throws<MongoCommandException>(() => coll.Watch(new ChangeStreamOptions { FullDocument = ChangeStreamFullDocumentOption.Required }));
        Assert.Contains("fullDocument 'required'", images.Message, StringComparison.Ordinal);
        Assert.Equal(["v0", "v1"], server.GetDocuments("db", "c").Select(d => d["s"].AsString));
    }
}
