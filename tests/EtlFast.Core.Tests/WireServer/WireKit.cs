using MongoDB.Bson;
using MongoDB.Driver;

namespace EtlFast.Core.Tests.WireServerTests;

using WireServer = EtlFast.WireServer.WireServer;

/// <summary>Clients and data for the wire server tests (BsonDocument style only, as under NativeAOT).</summary>
internal static class WireKit
{
    /// <summary>A driver client for the server; a short server selection timeout makes failures quick.</summary>
    public static MongoClient Client(WireServer server, string options = "") =>
        new(server.ConnectionString + "&serverSelectionTimeoutMS=5000" + options);

    /// <summary>Polls <paramref name="condition"/> until it holds: a wait for a state, bounded generously, never a sleep in its place.</summary>
    public static async Task WaitUntil(Func<bool> condition, string what)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"{what}: not so after 60 s");
            await Task.Delay(5);
        }
    }

    public static IMongoCollection<BsonDocument> Collection(MongoClient client, string db = "db", string collection = "c") =>
        client.GetDatabase(db).GetCollection<BsonDocument>(collection);

    public static List<BsonDocument> IntDocs(int count) =>
        Enumerable.Range(0, count).Select(i => new BsonDocument { { "_id", i }, { "n", i % 7 }, { "s", "v" + i } }).ToList();

    /// <summary>Drains a cursor and records the size of each batch the driver received.</summary>
    public static (List<BsonDocument> Docs, List<int> Batches) Drain(IAsyncCursor<BsonDocument> cursor)
    {
        var docs = new List<BsonDocument>();
        var batches = new List<int>();
        while (cursor.MoveNext())
        {
            int n = 0;
            foreach (var d in cursor.Current)
            {
                docs.Add(d);
                n++;
            }
            batches.Add(n);
        }
        return (docs, batches);
    }

    public static int Commands(WireServer server, string name) =>
        server.ReceivedCommands().Count(c => c.Name == name);
}
