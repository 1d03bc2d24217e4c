using MongoDB.Bson;
using MongoDB.Driver;

namespace EtlFast.Core.Tests.WireServerTests;

using WireServer = EtlFast.WireServer.WireServer;

public sealed class DriverFindTests
{
    [Fact]
    public async Task Insert_then_range_find_with_small_batches_returns_every_document_once_in_order()
    {
        await using var server = new WireServer();
        using var client = WireKit.Client(server);
        var coll = WireKit.Collection(client);
        // Shuffled inserts: the server must keep `_id` order, not insertion order.
        var docs = WireKit.IntDocs(500).OrderBy(d => (d["_id"].AsInt32 * 7919) % 500).ToList();
        coll.InsertMany(docs);
        Assert.Equal(500, server.CountDocuments("db", "c"));

        var filter = new BsonDocument("_id", new BsonDocument { { "$gte", 100 }, { "$lt", 400 } });
        var options = new FindOptions<BsonDocument> { BatchSize = 7, Sort = new BsonDocument("_id", 1) };
        using var cursor = coll.FindSync(filter, options);
        var (got, batches) = WireKit.Drain(cursor);

        Assert.Equal(Enumerable.Range(100, 300), got.Select(d => d["_id"].AsInt32));
        Assert.Equal("v100", got[0]["s"].AsString);
        Assert.All(batches, b => Assert.InRange(b, 1, 7));
        // 300 / 7 = 43 batches: 1 find + 42 getMores, each asking for 7.
        Assert.Equal(43, batches.Count);
        var getMores = server.ReceivedCommands().Where(c => c.Name == "getMore").ToList();
        Assert.Equal(42, getMores.Count);
        Assert.All(getMores, g => Assert.Equal(7, g.Body["batchSize"].ToInt32()));
        Assert.Equal(0, server.OpenCursors);
    }

    [Fact]
    public async Task Descending_sort_limit_projection_and_equality()
    {
        await using var server = new WireServer();
        server.AddDocuments("db", "c", WireKit.IntDocs(50));
        using var client = WireKit.Client(server);
        var coll = WireKit.Collection(client);

        var desc = coll.Find(new BsonDocument("_id", new BsonDocument("$lte", 20)))
            .Sort(new BsonDocument("_id", -1)).Limit(5).Project(new BsonDocument { { "s", 1 }, { "_id", 0 } }).ToList();
        Assert.Equal(["v20", "v19", "v18", "v17", "v16"], desc.Select(d => d["s"].AsString));
        Assert.All(desc, d => Assert.Equal(1, d.ElementCount));

        var equal = coll.Find(new BsonDocument { { "n", 3 }, { "_id", new BsonDocument("$in", new BsonArray { 3, 10, 17, 18 }) } }).ToList();
        Assert.Equal([3, 10, 17], equal.Select(d => d["_id"].AsInt32));

        var excluded = coll.Find(new BsonDocument("_id", 5)).Project(new BsonDocument("s", 0)).Single();
        Assert.Equal(new BsonDocument { { "_id", 5 }, { "n", 5 } }, excluded);

        var and = coll.Find(new BsonDocument("$and", new BsonArray
        {
            new BsonDocument("_id", new BsonDocument("$gt", 10)),
            new BsonDocument("_id", new BsonDocument("$lte", 13)),
        })).ToList();
        Assert.Equal([11, 12, 13], and.Select(d => d["_id"].AsInt32));

        // Sorting on another top-level field is stable on `_id` order.
        var byN = coll.Find(new BsonDocument("_id", new BsonDocument("$lt", 14))).Sort(new BsonDocument("n", -1)).ToList();
        Assert.Equal([6, 13, 5, 12, 4, 11], byN.Take(6).Select(d => d["_id"].AsInt32));
    }

    [Fact]
    public async Task Mixed_id_types_come_back_in_MongoDB_order()
    {
        await using var server = new WireServer();
        var oid = ObjectId.Parse("65a1b2c3d4e5f60718293a4b");
        var date = new BsonDateTime(new DateTime(2024, 1, 2, 0, 0, 0, DateTimeKind.Utc));
        var expected = new BsonValue[]
        {
            BsonMinKey.Value,
            BsonNull.Value,
            new BsonDouble(-1.5),
            new BsonInt32(1),
            new BsonInt64(2),
            new BsonDouble(2.5),
            new BsonDecimal128(Decimal128.Parse("3")),
            new BsonString("B"),
            new BsonString("a"),
            new BsonString("ab"),
            new BsonDocument("x", 1),
            new BsonBinaryData([1, 2, 3]),
            oid,
            BsonBoolean.False,
            BsonBoolean.True,
            date,
            new BsonTimestamp(5, 1),
            new BsonRegularExpression("^a", "i"),
            BsonMaxKey.Value,
        };
        var rng = new Random(7);
        var shuffled = expected.OrderBy(_ => rng.Next()).Select((id, i) => new BsonDocument { { "_id", id }, { "i", i } }).ToList();
        using var client = WireKit.Client(server);
        var coll = WireKit.Collection(client);
        coll.InsertMany(shuffled);

        var ascending = coll.Find(new BsonDocument()).Sort(new BsonDocument("_id", 1)).ToList().Select(d => d["_id"]).ToList();
        Assert.Equal(expected, ascending);
        var descending = coll.Find(new BsonDocument()).Sort(new BsonDocument("_id", -1)).ToList().Select(d => d["_id"]).ToList();
        Assert.Equal(expected.Reverse(), descending);
    }

    [Fact]
    public async Task Comparisons_stay_inside_the_type_bracket_but_min_max_cross_it()
    {
        await using var server = new WireServer();
        server.AddDocuments("db", "c", new[] { 1, 5, 9 }.Select(i => new BsonDocument("_id", i))
            .Concat(new[] { "a", "m" }.Select(s => new BsonDocument("_id", s)))
            .Append(new BsonDocument("_id", ObjectId.Parse("65a1b2c3d4e5f60718293a4b"))));
        using var client = WireKit.Client(server);
        var coll = WireKit.Collection(client);

        // As in mongod, {$gte: 5} matches numbers only: no string, no ObjectId.
        var numbers = coll.Find(new BsonDocument("_id", new BsonDocument("$gte", 5))).ToList();
        Assert.Equal([5, 9], numbers.Select(d => d["_id"].AsInt32));
        // 1 == 1.0 == 1L.
        Assert.Single(coll.Find(new BsonDocument("_id", 1.0)).ToList());
        // find's min/max (with a hint) are raw index bounds: [5, "m") spans numbers and strings.
        var command = new BsonDocument
        {
            { "find", "c" }, { "min", new BsonDocument("_id", 5) }, { "max", new BsonDocument("_id", "m") }, { "hint", new BsonDocument("_id", 1) },
        };
        var reply = client.GetDatabase("db").RunCommand<BsonDocument>(command);
        var ids = reply["cursor"]["firstBatch"].AsBsonArray.Select(d => d["_id"]).ToList();
        Assert.Equal(new BsonValue[] { 5, 9, "a" }, ids);
    }

    [Fact]
    public async Task Batches_stop_at_16_MiB_of_documents()
    {
        await using var server = new WireServer();
        var big = new string('x', 1024 * 1024);
        server.AddDocuments("db", "c", Enumerable.Range(0, 40).Select(i => new BsonDocument { { "_id", i }, { "s", big } }));
        using var client = WireKit.Client(server);
        var coll = client.GetDatabase("db").GetCollection<RawBsonDocument>("c");
        var sizes = new List<long>();
        int total = 0;
        using (var cursor = coll.FindSync(new BsonDocument()))
        {
            while (cursor.MoveNext())
            {
                long bytes = 0;
                foreach (var d in cursor.Current)
                {
                    bytes += d.Slice.Length;
                    total++;
                }
                sizes.Add(bytes);
            }
        }
        Assert.Equal(40, total);
        // ~1 MiB + 26 bytes each: 15 fit under 16 MiB, the 16th would not.
        Assert.Equal([15, 15, 10], sizes.Select(s => (int)(s / (1024 * 1024))));
        Assert.All(sizes, s => Assert.True(s <= 16 * 1024 * 1024));
    }

    [Fact]
    public async Task Bucket_bounds_that_cross_a_type_bracket_need_min_max_not_gte_lt()
    {
        // The trap for _id chunking: $bucketAuto happily returns {min: 3, max: "b"}, but
        // {$gte: 3, $lt: "b"} matches nothing in mongod (each operator stays in its own type bracket).
        await using var server = new WireServer();
        server.AddDocuments("db", "c", new BsonValue[] { 1, 2, 3, "a", "b", "c" }.Select(id => new BsonDocument("_id", id)));
        using var client = WireKit.Client(server);
        var coll = WireKit.Collection(client);
        var buckets = coll.Aggregate<BsonDocument>(new[] { new BsonDocument("$bucketAuto", new BsonDocument { { "groupBy", "$_id" }, { "buckets", 3 } }) }).ToList();
        Assert.Equal(new BsonDocument { { "min", 3 }, { "max", "b" } }, buckets[1]["_id"]);

        var crossing = new BsonDocument("_id", new BsonDocument { { "$gte", 3 }, { "$lt", "b" } });
        Assert.Empty(coll.Find(crossing).ToList());

        var command = new BsonDocument
        {
            { "find", "c" }, { "min", new BsonDocument("_id", 3) }, { "max", new BsonDocument("_id", "b") }, { "hint", new BsonDocument("_id", 1) },
        };
        var ids = client.GetDatabase("db").RunCommand<BsonDocument>(command)["cursor"]["firstBatch"].AsBsonArray.Select(d => d["_id"]);
        Assert.Equal(new BsonValue[] { 3, "a" }, ids);
    }

    [Fact]
    public async Task Raw_documents_round_trip_byte_for_byte()
    {
        await using var server = new WireServer();
        var doc = new BsonDocument
        {
            { "_id", 1 }, { "d", Decimal128.Parse("1.10") }, { "t", new BsonTimestamp(1, 2) },
            { "nested", new BsonDocument("a", new BsonArray { 1, "x", BsonNull.Value }) }, { "bin", new BsonBinaryData(Guid.Empty, GuidRepresentation.Standard) },
        };
        server.AddDocuments("db", "c", [doc]);
        using var client = WireKit.Client(server);
        var raw = client.GetDatabase("db").GetCollection<RawBsonDocument>("c").Find(new BsonDocument()).Single();
        var bytes = new byte[raw.Slice.Length];
        raw.Slice.GetBytes(0, bytes, 0, bytes.Length);
        Assert.Equal(doc.ToBson(), bytes);
    }

    [Fact]
    public async Task SingleBatch_and_killCursors_leave_no_open_cursor()
    {
        await using var server = new WireServer();
        server.AddDocuments("db", "c", WireKit.IntDocs(30));
        using var client = WireKit.Client(server);
        var coll = WireKit.Collection(client);

        var single = coll.Find(new BsonDocument()).Limit(-5).ToList(); // negative limit = one batch
        Assert.Equal(5, single.Count);
        Assert.Equal(0, server.OpenCursors);

        using (var cursor = coll.FindSync(new BsonDocument(), new FindOptions<BsonDocument> { BatchSize = 4 }))
        {
            Assert.True(cursor.MoveNext());
            Assert.Equal(1, server.OpenCursors);
        }
        // Disposing an unfinished cursor sends killCursors.
        Assert.Equal(1, WireKit.Commands(server, "killCursors"));
        Assert.Equal(0, server.OpenCursors);
    }

    [Fact]
    public async Task Duplicate_id_insert_is_a_write_error()
    {
        await using var server = new WireServer();
        using var client = WireKit.Client(server);
        var coll = WireKit.Collection(client);
        coll.InsertOne(new BsonDocument("_id", 1));
        var e = Assert.Throws<MongoWriteException>(() => coll.InsertOne(new BsonDocument("_id", 1.0)));
        Assert.Equal(11000, e.WriteError.Code);
        Assert.Equal(1, server.CountDocuments("db", "c"));
    }

    [Fact]
    public async Task Documents_without_id_get_an_ObjectId_first()
    {
        await using var server = new WireServer();
        server.AddDocuments("db", "c", [new BsonDocument("x", 1), new BsonDocument { { "y", 2 }, { "_id", "k" } }]);
        var docs = server.GetDocuments("db", "c");
        Assert.Equal(BsonType.String, docs[0]["_id"].BsonType); // strings sort before ObjectIds
        Assert.Equal("_id", docs[0].GetElement(0).Name);
        Assert.Equal(BsonType.ObjectId, docs[1]["_id"].BsonType);
    }

    [Fact]
    public async Task Create_drop_and_listCollections_track_the_catalog()
    {
        await using var server = new WireServer();
        using var client = WireKit.Client(server);
        var db = client.GetDatabase("db");
        db.CreateCollection("a");
        Assert.Throws<MongoCommandException>(() => db.CreateCollection("a"));
        WireKit.Collection(client, "db", "b").InsertOne(new BsonDocument("_id", 1));
        Assert.Equal(["a", "b"], db.ListCollectionNames().ToList());
        var full = db.ListCollections().ToList();
        Assert.Equal("collection", full[0]["type"].AsString);
        db.DropCollection("a");
        Assert.Equal(["b"], db.ListCollectionNames().ToList());
    }
}
