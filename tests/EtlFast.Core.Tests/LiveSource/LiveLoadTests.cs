using System.Globalization;
using EtlFast.Core.Tests.Load;
using EtlFast.Core.Tests.TestSupport;
using MongoDB.Bson;
using Npgsql;
using Xunit.Abstractions;

namespace EtlFast.Core.Tests.LiveSource;

using WireServer = EtlFast.WireServer.WireServer;

/// <summary>
/// <c>etlfast load --from mongodb://...</c> end to end, through the real CLI in process, against the
/// wire server: the tables equal those of a file load of the same documents, whatever the <c>_id</c>
/// types, the number of jobs or the filter.
/// </summary>
public sealed class LiveLoadTests(ITestOutputHelper output) : IDisposable
{
    private readonly Schemas _schemas = new();
    private readonly ScratchDir _dir = new("etlfast-live-");

    public void Dispose()
    {
        _schemas.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task Seed_users_from_the_server_equal_a_file_load_of_the_same_bson()
    {
        SeedData data = SeedData.Get(10_000, seed: 777);
        await using WireServer server = LiveKit.SeedServer(data.BsonPath);
        string fileSchema = _schemas.New("live_file");
        string liveSchema = _schemas.New("live_mongo");

        CliResult file = Etlfast.Load(data.BsonPath, SeedData.Mapping, fileSchema, "-j", "2").Ok();
        CliResult live = Etlfast.Load(LiveKit.Uri(server), SeedData.Mapping, liveSchema, "-j", "2").Ok();

        Assert.Contains("loaded 10,000 documents", live.Err);
        using NpgsqlConnection conn = TestPg.Open();
        LiveKit.SameTables(conn, fileSchema, liveSchema);

        // Figures only (no timing assertion): the same documents through each source in the same run.
        CliResult fileNull = Etlfast.Load(data.BsonPath, SeedData.Mapping, _schemas.New("live_fn"), "-j", "2", "--sink", "null").Ok();
        CliResult liveNull = Etlfast.Load(LiveKit.Uri(server), SeedData.Mapping, _schemas.New("live_mn"), "-j", "2", "--sink", "null").Ok();
        string figures = string.Create(CultureInfo.InvariantCulture,
            $"documents/s, 10,000 seed users ({data.Bytes.Length / 1048576.0:N1} MB), -j 2: " +
            $"load file {LiveKit.DocumentsPerSecond(file):N0}, live {LiveKit.DocumentsPerSecond(live):N0}; " +
            $"--sink null file {LiveKit.DocumentsPerSecond(fileNull):N0}, live {LiveKit.DocumentsPerSecond(liveNull):N0}");
        output.WriteLine(figures);
        File.AppendAllText(Path.Combine(Path.GetTempPath(), "etlfast-live-figures.txt"), figures + Environment.NewLine);
    }

    [Fact]
    public async Task Mixed_id_types_each_load_exactly_once()
    {
        List<BsonDocument> docs = MixedIds.Common();
        await using var server = new WireServer();
        server.AddDocuments("db", "things", docs);
        string mapping = _dir.Write("things.json", """
            {
              "database": "db",
              "collection": "things",
              "tables": [
                {
                  "name": "things",
                  "columns": [
                    { "name": "i",   "type": "bigint", "from": "i" },
                    { "name": "id",  "type": "jsonb",  "from": "_id" },
                    { "name": "tag", "type": "text",   "from": "tag" }
                  ],
                  "primaryKey": ["i"]
                }
              ]
            }
            """);
        string schema = _schemas.New("live_mixed");

        Etlfast.Load(LiveKit.Uri(server), mapping, schema, "-j", "3", "--constraints", "before", "--batch-size", "64").Ok();

        var expected = new ExpectedTable("things", "i").Column("i", "bigint").Column("id", "jsonb").Column("tag", "text");
        foreach (BsonDocument d in docs)
        {
            BsonValue id = d["_id"];
            Json json = id.BsonType == BsonType.ObjectId ? Json.Parse($$"""{"$oid": "{{id.AsObjectId}}"}""") : Json.FromBson(id);
            expected.Add((long)d["i"].AsInt32, json, d["tag"].AsString);
        }
        using NpgsqlConnection conn = TestPg.Open();
        TableAssert.Matches(conn, schema, expected);
    }

    [Fact]
    public async Task A_query_loads_only_the_matching_users()
    {
        SeedData data = SeedData.Get(1500, seed: 4242);
        await using WireServer server = LiveKit.SeedServer(data.BsonPath);
        string schema = _schemas.New("live_query");

        Etlfast.Load(LiveKit.Uri(server), SeedData.Mapping, schema, "-j", "2", "--query", """{"age": {"$gte": 40}}""").Ok();

        List<BsonDocument> matching = [.. data.Documents.Where(d => d["age"].ToInt32() >= 40)];
        Assert.InRange(matching.Count, 1, data.Documents.Count - 1);
        using NpgsqlConnection conn = TestPg.Open();
        SeedData.AssertLoaded(conn, schema, SeedData.TablesOf(matching));
    }

    [Fact]
    public async Task One_job_and_three_jobs_give_the_same_tables()
    {
        SeedData data = SeedData.Get(3000, seed: 31);
        await using WireServer server = LiveKit.SeedServer(data.BsonPath);
        string one = _schemas.New("live_j1");
        string three = _schemas.New("live_j3");

        Etlfast.Load(LiveKit.Uri(server), SeedData.Mapping, one, "-j", "1").Ok();
        Etlfast.Load(LiveKit.Uri(server), SeedData.Mapping, three, "-j", "3", "--chunk-size", "1").Ok();

        using NpgsqlConnection conn = TestPg.Open();
        LiveKit.SameTables(conn, one, three);
        Assert.Equal(3000, PgTable.Count(conn, three, "users"));
    }
}
