using EtlFast.WireServer;
using Microsoft.Extensions.Time.Testing;
using MongoDB.Bson;
using MongoDB.Driver;

namespace EtlFast.Core.Tests.WireServerTests;

using WireServer = EtlFast.WireServer.WireServer;

public sealed class DriverConnectTests
{
    [Fact]
    public async Task Driver_connects_and_pings()
    {
        await using var server = new WireServer();
        using var client = WireKit.Client(server);
        var reply = client.GetDatabase("admin").RunCommand<BsonDocument>(new BsonDocument("ping", 1));
        Assert.Equal(1.0, reply["ok"].ToDouble());

        // The driver's first words are the legacy OP_QUERY isMaster handshake, then OP_MSG.
        var log = server.ReceivedCommands();
        Assert.Equal("OP_QUERY", log[0].Transport);
        Assert.Equal("isMaster", log[0].Name);
        Assert.Equal("admin", log[0].Database);
        Assert.Contains(log, c => c.Transport == "OP_MSG" && c.Name == "ping");
    }

    [Fact]
    public async Task BuildInfo_and_listDatabases_answer()
    {
        await using var server = new WireServer();
        server.AddDocuments("sample_db", "users", WireKit.IntDocs(3));
        using var client = WireKit.Client(server);
        var info = client.GetDatabase("admin").RunCommand<BsonDocument>(new BsonDocument("buildInfo", 1));
        Assert.Equal("7.0.0", info["version"].AsString);
        var names = client.ListDatabaseNames().ToList();
        Assert.Equal(["sample_db"], names);
        var collections = client.GetDatabase("sample_db").ListCollectionNames().ToList();
        Assert.Equal(["users"], collections);
    }

    [Fact]
    public async Task Streaming_monitor_hello_is_held_for_maxAwaitTimeMS()
    {
        // The server's clock is a fake one that only the test moves: a held hello goes when it says.
        var time = new FakeTimeProvider();
        await using var server = new WireServer(0, time);
        // heartbeatFrequencyMS=500 makes the streaming monitor send maxAwaitTimeMS=500.
        using var client = WireKit.Client(server, "&heartbeatFrequencyMS=500&serverMonitoringMode=Stream");
        client.GetDatabase("admin").RunCommand<BsonDocument>(new BsonDocument("ping", 1));

        List<ReceivedCommand> Streamed() => [.. server.ReceivedCommands().Where(c => c.Name == "hello" && c.Body.Contains("topologyVersion") && c.Body.Contains("maxAwaitTimeMS"))];
        for (int n = 1; n <= 3; n++)
        {
            // Held replies pace the monitor: its next awaitable hello comes only after the reply to this one.
            await WireKit.WaitUntil(() => Streamed().Count == n && server.HeldReplies == 1, $"awaitable hello {n} held");
            time.Advance(TimeSpan.FromMilliseconds(499));
            Assert.Equal(1, server.HeldReplies); // still held 1 ms before maxAwaitTimeMS
            Assert.Equal(n, Streamed().Count);
            time.Advance(TimeSpan.FromMilliseconds(1));
        }
        await WireKit.WaitUntil(() => Streamed().Count == 4, "the monitor's hello after the third reply");
        Assert.All(Streamed(), c => Assert.Equal(500L, c.Body["maxAwaitTimeMS"].ToInt64()));
    }

    [Fact]
    public async Task Disposing_the_server_releases_a_held_hello_promptly()
    {
        var time = new FakeTimeProvider(); // never moved: only disposing can end the 60 s hold
        var server = new WireServer(0, time);
        using var client = WireKit.Client(server, "&heartbeatFrequencyMS=60000&serverMonitoringMode=Stream");
        client.GetDatabase("admin").RunCommand<BsonDocument>(new BsonDocument("ping", 1));
        await WireKit.WaitUntil(() => server.HeldReplies == 1, "the monitor's awaitable hello held");
        Assert.Contains(server.ReceivedCommands(), c => c.Body.Contains("maxAwaitTimeMS"));
        await server.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60)); // a hang guard, not a measure
        Assert.Equal(0, server.HeldReplies);
    }

    [Fact]
    public async Task Poll_mode_works_too()
    {
        await using var server = new WireServer();
        using var client = WireKit.Client(server, "&serverMonitoringMode=Poll");
        client.GetDatabase("admin").RunCommand<BsonDocument>(new BsonDocument("ping", 1));
        Assert.DoesNotContain(server.ReceivedCommands(), c => c.Body.Contains("maxAwaitTimeMS"));
    }

    [Fact]
    public async Task Credentials_are_refused_with_a_clear_message()
    {
        await using var server = new WireServer();
        using var client = new MongoClient($"mongodb://user:pw@127.0.0.1:{server.Port}/?directConnection=true&serverSelectionTimeoutMS=3000");
        var e = Assert.ThrowsAny<Exception>(() => client.GetDatabase("admin").RunCommand<BsonDocument>(new BsonDocument("ping", 1)));
        Assert.Contains("wire test server does not implement command 'saslStart'", e.ToString());
    }
}
