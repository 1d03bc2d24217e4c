using EtlFast.WireServer;
using Microsoft.Extensions.Time.Testing;
using MongoDB.Bson;
using MongoDB.Driver;

namespace EtlFast.Core.Tests.WireServerTests;

using WireServer = EtlFast.WireServer.WireServer;

public sealed class FaultInjectionTests
{
    private static FindOptions<BsonDocument> Batches(int size) => new() { BatchSize = size, Sort = new BsonDocument("_id", 1) };

    [Fact]
    public async Task Connection_dropped_mid_cursor_surfaces_as_a_connection_exception()
    {
        await using var server = new WireServer();
        server.AddDocuments("db", "c", WireKit.IntDocs(50));
        using var client = WireKit.Client(server);
        var coll = WireKit.Collection(client);
        server.Faults.DropConnectionAfterBatches(2);

        var seen = new List<int>();
        var e = Assert.ThrowsAny<MongoException>(() =>
        {
            using var cursor = coll.FindSync(new BsonDocument(), Batches(10));
            while (cursor.MoveNext())
            {
                seen.AddRange(cursor.Current.Select(d => d["_id"].AsInt32));
            }
        });
        Assert.IsType<MongoConnectionException>(e, exactMatch: false);
        Assert.Equal(Enumerable.Range(0, 20), seen); // find + one getMore, then the drop
        Assert.Equal(1, server.Faults.ConnectionsDropped);

        // Server scope fires once: the next read succeeds on a fresh connection.
        Assert.Equal(50, coll.Find(new BsonDocument()).ToList().Count);
    }

    [Fact]
    public async Task Per_cursor_drop_hits_every_cursor_that_reaches_the_count()
    {
        await using var server = new WireServer();
        server.AddDocuments("db", "c", WireKit.IntDocs(30));
        using var client = WireKit.Client(server);
        var coll = WireKit.Collection(client);
        server.Faults.DropConnectionAfterBatches(1, FaultScope.Cursor);
        for (int attempt = 0; attempt < 2; attempt++)
        {
            Assert.ThrowsAny<MongoConnectionException>(() => WireKit.Drain(coll.FindSync(new BsonDocument(), Batches(10))));
        }
        Assert.Equal(2, server.Faults.ConnectionsDropped);
        // A result that fits in one batch never needs a second one.
        Assert.Equal(5, coll.Find(new BsonDocument("_id", new BsonDocument("$lt", 5))).ToList().Count);
        server.Faults.Clear();
        Assert.Equal(30, WireKit.Drain(coll.FindSync(new BsonDocument(), Batches(10))).Docs.Count);
    }

    [Fact]
    public async Task Failing_the_kth_getMore_surfaces_as_a_command_exception()
    {
        await using var server = new WireServer();
        server.AddDocuments("db", "c", WireKit.IntDocs(50));
        using var client = WireKit.Client(server);
        var coll = WireKit.Collection(client);
        server.Faults.FailGetMore(nth: 2, message: "injected: disk on fire");

        int received = 0;
        var e = Assert.Throws<MongoCommandException>(() =>
        {
            using var cursor = coll.FindSync(new BsonDocument(), Batches(10));
            while (cursor.MoveNext())
            {
                received += cursor.Current.Count();
            }
        });
        Assert.Equal(1, e.Code);
        Assert.Contains("injected: disk on fire", e.Message);
        Assert.Equal(20, received); // find + first getMore delivered, the second failed
        Assert.Equal(1, server.Faults.GetMoresFailed);
        // One-shot: the next cursor reads to the end.
        Assert.Equal(50, WireKit.Drain(coll.FindSync(new BsonDocument(), Batches(10))).Docs.Count);
    }

    [Fact]
    public async Task A_CursorNotFound_failure_maps_to_the_drivers_own_exception()
    {
        await using var server = new WireServer();
        server.AddDocuments("db", "c", WireKit.IntDocs(50));
        using var client = WireKit.Client(server);
        server.Faults.FailGetMore(code: 43, codeName: "CursorNotFound");
        // The driver turns code 43 into MongoCursorNotFoundException, which is not a MongoCommandException.
        Assert.Throws<MongoCursorNotFoundException>(() => WireKit.Drain(WireKit.Collection(client).FindSync(new BsonDocument(), Batches(10))));
    }

    [Fact]
    public async Task Reply_delay_slows_every_reply()
    {
        var time = new FakeTimeProvider(); // the server's clock: a delayed reply goes when the test moves it
        await using var server = new WireServer(0, time);
        // A polling monitor that does not poll during the test: the only reply held is the ping's.
        using var client = WireKit.Client(server, "&serverMonitoringMode=Poll&heartbeatFrequencyMS=600000");
        var db = client.GetDatabase("db");
        db.RunCommand<BsonDocument>(new BsonDocument("ping", 1));

        server.Faults.ReplyDelay = TimeSpan.FromMilliseconds(1000);
        Task<BsonDocument> ping = Task.Run(() => db.RunCommand<BsonDocument>(new BsonDocument("ping", 1)));
        await WireKit.WaitUntil(() => server.HeldReplies == 1, "the ping's reply held");
        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(ping.IsCompleted, "the reply went before its delay");
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1.0, (await ping.WaitAsync(TimeSpan.FromSeconds(60)))["ok"].ToDouble());

        // Undelayed, a reply needs no time at all: the fake clock stays where it is.
        server.Faults.ReplyDelay = TimeSpan.Zero;
        Assert.Equal(1.0, (await Task.Run(() => db.RunCommand<BsonDocument>(new BsonDocument("ping", 1))).WaitAsync(TimeSpan.FromSeconds(60)))["ok"].ToDouble());
    }

    [Fact]
    public async Task Delay_beyond_socket_timeout_times_out_the_read()
    {
        // The fake clock never moves, so the delayed reply never comes: only the socket timeout can end the read.
        await using var server = new WireServer(0, new FakeTimeProvider());
        using var client = WireKit.Client(server, "&socketTimeoutMS=1000&serverMonitoringMode=Poll&heartbeatFrequencyMS=600000");
        var db = client.GetDatabase("db");
        db.RunCommand<BsonDocument>(new BsonDocument("ping", 1));
        server.Faults.ReplyDelay = TimeSpan.FromMilliseconds(3000);
        var e = Assert.ThrowsAny<MongoException>(() => db.RunCommand<BsonDocument>(new BsonDocument("ping", 1)));
        Assert.Contains("timed out", e.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Refused_connections_fail_server_selection_until_allowed_again()
    {
        await using var server = new WireServer();
        server.Faults.RefuseConnections = true;
        using (var refused = new MongoClient(server.ConnectionString + "&serverSelectionTimeoutMS=1000&connectTimeoutMS=1000"))
        {
            Assert.Throws<TimeoutException>(() => refused.GetDatabase("db").RunCommand<BsonDocument>(new BsonDocument("ping", 1)));
        }
        Assert.True(server.ConnectionsAccepted > 0);
        server.Faults.RefuseConnections = false;
        using var client = WireKit.Client(server);
        Assert.Equal(1.0, client.GetDatabase("db").RunCommand<BsonDocument>(new BsonDocument("ping", 1))["ok"].ToDouble());
    }
}
