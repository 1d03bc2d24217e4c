using EtlFast.Core.Sources;
using EtlFast.Core.Tests.Load;
using EtlFast.Core.Tests.TestSupport;
using MongoDB.Bson;
using MongoDB.Driver;
using Npgsql;

namespace EtlFast.Core.Tests.LiveSource;

/// <summary>
/// The live load against two servers: ours (tests/EtlFast.WireServer, whose <c>$bucketAuto</c>, type
/// order and counts the planner was written against) and jongodb, written by nobody here, which lacks
/// <c>$bucketAuto</c> and <c>$sample</c> and matches no embedded-document <c>_id</c> with
/// <c>{$gte: {}}</c>. Whatever the server, every document is loaded once, verify sees every document
/// the server holds, and infer proposes a mapping.
/// </summary>
public sealed class TwoServerTests : IDisposable
{
    private readonly Schemas _schemas = new();
    private readonly ScratchDir _dir = new("etlfast-two-servers-");

    public void Dispose()
    {
        _schemas.Dispose();
        _dir.Dispose();
    }

    /// <summary>3,000 documents: 429 with an embedded-document <c>_id</c>, the rest ObjectIds, strings and ints; "i" numbers them.</summary>
    public static List<BsonDocument> WithDocumentIds(int count = 3000)
    {
        var docs = new List<BsonDocument>(count);
        for (int i = 0; i < count; i++)
        {
            (BsonValue id, string tag) = (i % 7) switch
            {
                0 => ((BsonValue)new BsonDocument { { "region", i % 5 }, { "n", i } }, "document"),
                1 => ($"key-{i:D5}", "string"),
                2 => (new BsonInt32(i), "int32"),
                _ => (MixedIds.Oid(1_700_000_000 + i, i * 31, i), "oid"),
            };
            docs.Add(new BsonDocument { { "_id", id }, { "i", i }, { "tag", tag } });
        }
        return docs;
    }

    private string ThingsMapping() => _dir.Write("things.json", """
        {
          "database": "db",
          "collection": "things",
          "tables": [
            { "name": "things", "primaryKey": ["i"], "columns": [
                { "name": "i",   "type": "bigint", "from": "i" },
                { "name": "id",  "type": "jsonb",  "from": "_id" },
                { "name": "tag", "type": "text",   "from": "tag" } ] }
          ]
        }
        """);

    [Theory]
    [InlineData(ServerKind.Wire)]
    [InlineData(ServerKind.Jongodb)]
    public async Task Seed_users_from_the_server_equal_a_file_load_of_the_same_bson(ServerKind kind)
    {
        SeedData data = SeedData.Get(500, seed: 61); // jongodb takes ~10 ms to insert one seed user
        await using LiveServer server = await LiveKit.SeedServer(kind, data);
        string fileSchema = _schemas.New("two_file");
        string liveSchema = _schemas.New("two_live");

        Etlfast.Load(data.BsonPath, SeedData.Mapping, fileSchema, "-j", "2").Ok();
        CliResult live = Etlfast.Load(server.Uri, SeedData.Mapping, liveSchema, "-j", "2", "--chunk-size", "1").Ok();

        Assert.Contains("loaded 500 documents", live.Err);
        using NpgsqlConnection conn = TestPg.Open();
        LiveKit.SameTables(conn, fileSchema, liveSchema);
    }

    [Theory]
    [InlineData(ServerKind.Wire)]
    [InlineData(ServerKind.Jongodb)]
    public async Task Embedded_document_ids_load_exactly_once_with_the_others(ServerKind kind)
    {
        List<BsonDocument> docs = WithDocumentIds();
        await using LiveServer server = await LiveKit.Serve(kind, "db", "things", docs);
        string schema = _schemas.New("two_ids");

        CliResult r = Etlfast.Load(server.Uri, ThingsMapping(), schema, "-j", "3", "--batch-size", "100").Ok();

        Assert.Contains("loaded 3,000 documents", r.Err);
        using NpgsqlConnection conn = TestPg.Open();
        Assert.Equal("3000 3000 0 2999 429", TestPg.Scalar(conn,
            $"SELECT count(*) || ' ' || count(DISTINCT i) || ' ' || min(i) || ' ' || max(i) || ' ' || count(*) FILTER (WHERE jsonb_typeof(id) = 'object' AND id ? 'region') FROM {TestPg.Qualify(schema, "things")}"));
        if (kind == ServerKind.Jongodb)
        {
            // The planner says why the plan is not the usual one: the ranges missed what one more query reads.
            Assert.Contains("the server's _id range queries match 2,571 of the 3,000 documents; the other 429 are read by one more query", r.Err);
        }
    }

    [Theory]
    [InlineData(ServerKind.Wire)]
    [InlineData(ServerKind.Jongodb)]
    public async Task A_query_applies_to_every_range_the_one_for_what_the_ranges_miss_too(ServerKind kind)
    {
        List<BsonDocument> docs = WithDocumentIds();
        await using LiveServer server = await LiveKit.Serve(kind, "db", "things", docs);
        string schema = _schemas.New("two_query");

        Etlfast.Load(server.Uri, ThingsMapping(), schema, "-j", "2", "--query", """{"i": {"$gte": 1000}}""").Ok();

        int embedded = docs.Count(d => d["i"].AsInt32 >= 1000 && d["_id"].BsonType == BsonType.Document);
        using NpgsqlConnection conn = TestPg.Open();
        Assert.Equal($"2000 1000 {embedded}", TestPg.Scalar(conn,
            $"SELECT count(DISTINCT i) || ' ' || min(i) || ' ' || count(*) FILTER (WHERE tag = 'document') FROM {TestPg.Qualify(schema, "things")}"));
        Assert.Equal(2000L, PgTable.Count(conn, schema, "things"));
    }

    [Theory]
    [InlineData(ServerKind.Wire)]
    [InlineData(ServerKind.Jongodb)]
    public async Task Verify_counts_every_document_the_server_holds(ServerKind kind)
    {
        List<BsonDocument> docs = WithDocumentIds();
        await using LiveServer server = await LiveKit.Serve(kind, "db", "things", docs);
        string mapping = ThingsMapping();
        string schema = _schemas.New("two_verify");
        // What a load that skipped the embedded-document _ids left behind: the other documents, from a file.
        string partial = Path.Combine(_dir.Path, "partial.bson");
        File.WriteAllBytes(partial, [.. docs.Where(d => d["_id"].BsonType != BsonType.Document).SelectMany(d => d.ToBson())]);
        Etlfast.Load(partial, mapping, schema).Ok();
        string[] verify = ["verify", "--from", server.Uri, "-m", mapping, "--to", TestPg.ConnectionString, "--schema", schema];

        CliResult differs = Etlfast.Run(verify);

        Assert.True(differs.Exit == 4, differs.ToString());
        Assert.Matches(@"things +3,000 +2,571 +DIFFERS", differs.Out);
        Etlfast.Load(server.Uri, mapping, schema, "--mode", "clean").Ok();
        CliResult same = Etlfast.Run(verify).Ok();
        Assert.Matches(@"things +3,000 +3,000 +ok", same.Out);
    }

    [Fact]
    public async Task Infer_proposes_the_indexes_a_server_lists()
    {
        // jongodb, a server nobody here wrote, keeps the indexes it is given and lists them (listIndexes).
        SeedData data = SeedData.Get(50, seed: 63);
        await using LiveServer server = await LiveKit.SeedServer(ServerKind.Jongodb, data);
        var users = new MongoClient(server.Uri).GetDatabase("sample_db").GetCollection<BsonDocument>("users");
        await users.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(Builders<BsonDocument>.IndexKeys.Ascending("email"), new CreateIndexOptions { Unique = true }));
        await users.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(Builders<BsonDocument>.IndexKeys.Ascending("lastName").Descending("age")));

        CliResult r = Etlfast.Run(["infer", "--from", server.Uri, "-d", "sample_db", "-c", "users"]).Ok();
        Assert.Contains("\"indexes\": [{ \"columns\": [\"email\"], \"unique\": true }, [\"last_name\", \"age\"]]", r.Out);
        Assert.Contains("// MongoDB unique index email_1 on (email): proposed below as a unique index", r.Out);
    }

    [Theory]
    [InlineData(ServerKind.Wire)]
    [InlineData(ServerKind.Jongodb)]
    public async Task Infer_proposes_the_seed_tables_from_either_server(ServerKind kind)
    {
        SeedData data = SeedData.Get(300, seed: 62);
        await using LiveServer server = await LiveKit.SeedServer(kind, data);
        string mappingPath = Path.Combine(_dir.Path, $"inferred-{kind}.json");

        CliResult r = Etlfast.Run(["infer", "--from", server.Uri, "-d", "sample_db", "-c", "users", "--sample", "200", "-o", mappingPath]).Ok();

        Assert.Contains("proposed 15 tables", r.Err);
        Assert.Contains(kind == ServerKind.Wire
            ? "200 documents $sample picked from mongodb://127.0.0.1:"
            : "the first 200 documents in natural order of mongodb://127.0.0.1:", r.Err);
        if (kind == ServerKind.Jongodb)
        {
            Assert.Contains("(the server does not implement $sample)", r.Err);
        }
        Etlfast.Load(data.BsonPath, mappingPath, _schemas.New("two_infer")).Ok();
    }

    [Theory]
    [InlineData(ServerKind.Wire)]
    [InlineData(ServerKind.Jongodb)]
    public async Task Every_type_group_is_read_once_in_the_same_chunks_every_time(ServerKind kind)
    {
        List<BsonDocument> docs = MixedIds.EveryGroup();
        await using LiveServer server = await LiveKit.Serve(kind, "db", "c", docs);

        string Read(int readers, out List<BsonDocument> read)
        {
            using MongoSource source = MongoSource.Open(server.Uri, "db", "c", null, 50, 16 * 1024, CancellationToken.None, readers);
            SortedDictionary<long, List<BsonDocument>> chunks = LiveKit.Drain(source);
            read = LiveKit.InIndexOrder(chunks);
            return LiveKit.Layout(chunks);
        }

        string one = Read(1, out List<BsonDocument> got);
        Assert.Equal(Enumerable.Range(0, docs.Count), got.Select(d => d["i"].AsInt32).Order());
        Assert.Equal(one, Read(3, out _)); // --resume skips chunks by index: they must not depend on the readers
    }
}
