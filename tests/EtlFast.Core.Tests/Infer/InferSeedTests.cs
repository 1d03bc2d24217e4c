using EtlFast.Core.Mapping;
using EtlFast.Core.Tests.Load;
using EtlFast.Core.Tests.LiveSource;
using EtlFast.Core.Tests.TestSupport;
using Npgsql;

namespace EtlFast.Core.Tests.Infer;

using WireServer = EtlFast.WireServer.WireServer;

/// <summary>
/// <c>etlfast infer</c> on the generated seed users: it must find the seed benchmark's 15-table layout
/// (compared by table path), and its mapping must load, unchanged, exactly as many rows per path as
/// an independent decoding of the same file gives for the seed mapping.
/// </summary>
public sealed class InferSeedTests : IDisposable
{
    /// <summary>The paths of examples/seed-users.json's 15 tables ("" for the documents).</summary>
    private static readonly string[] SeedPaths =
    [
        "", "address", "profile", "profile.education[]", "profile.experience[]", "preferences", "preferences.settings[]",
        "activityLog[]", "transactions[]", "messages[]", "messages[].attachments[]", "socialMedia", "socialMedia.posts[]",
        "socialMedia.groups[]", "largeData",
    ];

    private readonly Schemas _schemas = new();
    private readonly ScratchDir _dir = new("etlfast-infer-");

    public void Dispose()
    {
        _schemas.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void The_seed_mapping_has_the_paths_this_test_expects()
    {
        // Guards the constant above: if the example changes, this test says so rather than the others drifting.
        Assert.Equal(SeedPaths.Order(StringComparer.Ordinal), PathsOf(MappingParser.ParseFile(SeedData.Mapping)).Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Seed_users_give_the_seed_layout_and_load_the_rows_the_seed_mapping_gives()
    {
        SeedData data = SeedData.Get();
        string mappingPath = _dir.File("inferred.json");

        CliResult infer = Etlfast.Run(["infer", "--from", data.BsonPath, "-c", "users", "-o", mappingPath]).Ok();

        Assert.Contains("sampled the first 1,000 documents of", infer.Err);
        Assert.Contains("proposed 15 tables", infer.Err);
        Assert.Equal("", infer.Out); // the mapping went to the file
        MappingDocument inferred = MappingParser.ParseFile(mappingPath);
        Dictionary<string, TableMapping> byPath = PathsOf(inferred);
        Assert.Equal(SeedPaths.Order(StringComparer.Ordinal), byPath.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("users", inferred.Collection);
        Assert.Equal(["id"], byPath[""].PrimaryKey);
        Assert.Equal(["id"], byPath["messages[]"].PrimaryKey); // the messages' own unique "id", as the seed mapping has it
        ColumnMapping link = Assert.Single(byPath["messages[].attachments[]"].Columns, c => c.References is not null && c.References.Table == byPath["messages[]"].Name);
        Assert.Equal("$parent.id", link.From);

        string schema = _schemas.New("infer_seed");
        Etlfast.Load(data.BsonPath, mappingPath, schema, "-q").Ok();

        // Rows per path: the independent decoding (MongoDB.Bson) of the seed mapping's tables.
        Dictionary<string, TableMapping> seedByPath = PathsOf(MappingParser.ParseFile(SeedData.Mapping));
        using NpgsqlConnection conn = TestPg.Open();
        var problems = new List<string>();
        foreach (string path in SeedPaths)
        {
            long expected = data.Tables.Single(t => t.Name == seedByPath[path].Name).Rows.Count;
            long actual = PgTable.Count(conn, schema, byPath[path].Name);
            if (expected != actual || expected == 0)
            {
                problems.Add($"path \"{path}\" (table {byPath[path].Name}): expected {expected} rows, found {actual}");
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems) + "\n" + File.ReadAllText(mappingPath));
        // Every key the mapping declares was built: 15 primary keys, one foreign key per child table.
        Assert.Equal(15L, (long)TestPg.Scalar(conn, $"SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = '{schema}' AND c.contype = 'p'")!);
    }

    [Fact]
    public async Task A_live_collection_is_sampled_with_dollar_sample_and_gives_the_same_layout()
    {
        SeedData data = SeedData.Get();
        await using WireServer server = LiveKit.SeedServer(data.BsonPath);
        server.SetRandomSeed(11);
        string mappingPath = _dir.File("live.json");

        CliResult r = Etlfast.Run(["infer", "--from", LiveKit.Uri(server), "-d", "sample_db", "-c", "users", "--sample", "400", "-o", mappingPath]).Ok();

        Assert.Contains("400 documents $sample picked from mongodb://127.0.0.1:", r.Err);
        Assert.Contains(server.ReceivedCommands(), c => c.Name == "aggregate"
            && c.Body["pipeline"] is MongoDB.Bson.BsonArray { Count: 1 } p && p[0] is MongoDB.Bson.BsonDocument stage
            && stage.Contains("$sample") && stage["$sample"]["size"].ToInt32() == 400);
        MappingDocument inferred = MappingParser.ParseFile(mappingPath);
        Assert.Equal("sample_db", inferred.Database);
        Assert.Equal(SeedPaths.Order(StringComparer.Ordinal), PathsOf(inferred).Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_live_source_without_a_collection_or_server_fails_with_the_documented_exit_codes()
    {
        await using var server = new WireServer();
        Etlfast.Run(["infer", "--from", LiveKit.Uri(server), "-d", "db"])
            .Fails(2, "no MongoDB collection to sample", "-c/--collection");
        Etlfast.Run(["infer", "--from", LiveKit.Uri(server), "-d", "db", "-c", "nothing"])
            .Fails(4, "nothing to infer a mapping from", "db.nothing, which is empty or does not exist");
        string deadUri = "mongodb://127.0.0.1:1/?directConnection=true&serverSelectionTimeoutMS=500";
        Etlfast.Run(["infer", "--from", deadUri, "-d", "db", "-c", "x"])
            .Fails(3, "could not connect to MongoDB at 127.0.0.1:1");
    }

    private static Dictionary<string, TableMapping> PathsOf(MappingDocument mapping) =>
        mapping.Tables.ToDictionary(t => t.Path ?? "", StringComparer.Ordinal);
}
