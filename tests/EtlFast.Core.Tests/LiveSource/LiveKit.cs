using System.Globalization;
using System.Text.RegularExpressions;
using EtlFast.Core.Sources;
using EtlFast.Core.Tests.TestSupport;
using MongoDB.Bson;
using Npgsql;

namespace EtlFast.Core.Tests.LiveSource;

using WireServer = EtlFast.WireServer.WireServer;

/// <summary>Shared pieces of the live-source tests: servers holding data, draining a source, comparing schemas, reading figures.</summary>
internal static partial class LiveKit
{
    /// <summary>
    /// The wire server's URI, for loads that must reach it. The server runs in the test process, whose
    /// thread pool the parallel tests can starve for seconds on 2 busy cores: 5 s of server selection
    /// was once too short for a handshake there, so the bound is generous (tests of a server that cannot
    /// be reached give their own, short timeout).
    /// </summary>
    public static string Uri(WireServer server, string extra = "") => server.ConnectionString + "&serverSelectionTimeoutMS=60000" + extra;

    /// <summary>A server holding the generated seed users as sample_db.users (what examples/seed-users.json names).</summary>
    public static WireServer SeedServer(string bsonPath)
    {
        var server = new WireServer();
        server.LoadBsonFile("sample_db", "users", bsonPath);
        return server;
    }

    /// <summary>A server of <paramref name="kind"/> holding <paramref name="documents"/> as database.collection.</summary>
    public static Task<LiveServer> Serve(ServerKind kind, string database, string collection, IEnumerable<BsonDocument> documents) =>
        Serve(kind, database, [(collection, documents)]);

    /// <summary>A server of <paramref name="kind"/> holding each of <paramref name="collections"/> in <paramref name="database"/>.</summary>
    public static async Task<LiveServer> Serve(ServerKind kind, string database, IEnumerable<(string Collection, IEnumerable<BsonDocument> Documents)> collections)
    {
        if (kind == ServerKind.Wire)
        {
            var wire = new WireServer();
            foreach ((string collection, IEnumerable<BsonDocument> documents) in collections)
            {
                wire.AddDocuments(database, collection, documents);
            }
            return new LiveServer(Uri(wire), wire);
        }
        Jongodb jongodb = await Jongodb.StartAsync();
        try
        {
            foreach ((string collection, IEnumerable<BsonDocument> documents) in collections)
            {
                jongodb.Insert(database, collection, documents);
            }
        }
        catch
        {
            await jongodb.DisposeAsync();
            throw;
        }
        return new LiveServer(jongodb.ConnectionString + "&serverSelectionTimeoutMS=5000", jongodb);
    }

    /// <summary>The generated seed users as sample_db.users (what examples/seed-users.json names) on a server of <paramref name="kind"/>.</summary>
    public static Task<LiveServer> SeedServer(ServerKind kind, Load.SeedData data) => Serve(kind, "sample_db", "users", data.Documents);

    /// <summary>Every chunk a source hands out: its index and its documents decoded by MongoDB.Bson.</summary>
    public static SortedDictionary<long, List<BsonDocument>> Drain(IChunkSource source)
    {
        var chunks = new SortedDictionary<long, List<BsonDocument>>();
        while (source.Next(CancellationToken.None) is { } chunk)
        {
            try
            {
                List<BsonDocument> docs = BsonFile.Decode(chunk.Span.ToArray());
                Assert.Equal(chunk.Documents, docs.Count);
                Assert.True(chunks.TryAdd(chunk.Index, docs), $"chunk index {chunk.Index} handed out twice");
            }
            finally
            {
                chunk.Release();
            }
        }
        return chunks;
    }

    /// <summary>The documents of all chunks in chunk-index order.</summary>
    public static List<BsonDocument> InIndexOrder(SortedDictionary<long, List<BsonDocument>> chunks) => [.. chunks.Values.SelectMany(d => d)];

    /// <summary>Chunk index → the "i" of each of its documents: what must not change between runs of the same data.</summary>
    public static string Layout(SortedDictionary<long, List<BsonDocument>> chunks)
        => string.Join("\n", chunks.Select(c => $"{c.Key}: {string.Join(",", c.Value.Select(d => d["i"].ToString()))}"));

    /// <summary>
    /// Two schemas loaded from the same data hold the same tables, columns and, in each table, the same
    /// multiset of rows: counts equal and EXCEPT ALL empty both ways, so a row doubled, missing or changed shows.
    /// </summary>
    public static void SameTables(NpgsqlConnection conn, string expectedSchema, string actualSchema)
        => Faults.SchemaCompare.Equal(conn, expectedSchema, actualSchema, keys: true);

    /// <summary>Documents per second of the data phase ("data X s" in the summary), or NaN when not printed.</summary>
    public static double DocumentsPerSecond(CliResult r)
    {
        Match docs = LoadedLine().Match(r.Err);
        Match data = DataLine().Match(r.Err);
        if (!docs.Success || !data.Success)
        {
            return double.NaN;
        }
        double n = double.Parse(docs.Groups[1].Value.Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);
        double s = double.Parse(data.Groups[1].Value.Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);
        return n / Math.Max(s, 1e-6);
    }

    [GeneratedRegex(@"loaded ([\d,]+) documents")]
    private static partial Regex LoadedLine();

    [GeneratedRegex(@"data ([\d,.]+) s")]
    private static partial Regex DataLine();
}

/// <summary>Which MongoDB-compatible server a live test runs against.</summary>
public enum ServerKind
{
    /// <summary>tests/EtlFast.WireServer, ours: every command the loader sends.</summary>
    Wire,

    /// <summary>jongodb (scripts/jongodb.sh), nobody's here: find, insert and count, no <c>$bucketAuto</c>, <c>$sample</c> or <c>drop</c>.</summary>
    Jongodb,
}

/// <summary>A running server of either kind and the URI to reach it (short server selection timeout).</summary>
internal sealed class LiveServer(string uri, IAsyncDisposable server) : IAsyncDisposable
{
    public string Uri { get; } = uri;

    public ValueTask DisposeAsync() => server.DisposeAsync();
}
