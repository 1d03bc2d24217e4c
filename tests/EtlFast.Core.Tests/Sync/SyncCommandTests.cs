using EtlFast.Core.Tests.Generation;
using EtlFast.Core.Tests.Load;
using EtlFast.Core.Tests.TestSupport;
using Npgsql;

namespace EtlFast.Core.Tests.Sync;

/// <summary><c>etlfast sync</c>'s refusals: each before anything is read or written.</summary>
public sealed class SyncCommandTests : IDisposable
{
    private readonly Schemas _schemas = new();
    private readonly ScratchDir _dir = new("etlfast-sync-cli-");

    public void Dispose()
    {
        _schemas.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void A_file_source_is_refused_saying_sync_follows_a_live_collection()
    {
        string file = _dir.Write("users.bson", GeneratedBson.Users(5));
        string schema = _schemas.New("sync_file");
        Etlfast.Run(["sync", "--from", file, "-m", SeedData.Mapping, "--schema", schema])
            .Fails(2, "follows a live collection's change stream", "etlfast load");
        using NpgsqlConnection conn = TestPg.Open();
        Assert.Empty(PgTable.Tables(conn, schema));
    }

    [Fact]
    public void A_mapping_with_a_table_the_documents_id_does_not_reach_is_refused_before_connecting()
    {
        string mapping = _dir.Write("tags.json", """
            {"database": "db", "collection": "users", "tables": [
              {"name": "users", "columns": [{"name": "id", "type": "bigint", "from": "_id"}], "primaryKey": ["id"]},
              {"name": "tags", "path": "tags[]", "columns": [{"name": "tag", "type": "text", "from": "$value"}]}]}
            """);
        string schema = _schemas.New("sync_unreached");
        // Port 9 (discard) has no MongoDB: the refusal must come before any connection is tried.
        Etlfast.Run(["sync", "--from", "mongodb://127.0.0.1:9/db", "-m", mapping, "--schema", schema])
            .Fails(2, "table \"tags\" cannot be found from their document's _id", "$root._id");
        using NpgsqlConnection conn = TestPg.Open();
        Assert.Empty(PgTable.Tables(conn, schema));
    }

    [Fact]
    public void A_query_is_refused()
    {
        Etlfast.Run(["sync", "--from", "mongodb://127.0.0.1:9/db", "-m", SeedData.Mapping, "--query", "{\"age\": 30}"])
            .Fails(2, "sync cannot take --query");
    }

    [Fact]
    public void Help_teaches_the_cutover_flag_and_the_stored_position()
    {
        CliResult r = Etlfast.Run(["sync", "--help"]).Ok();
        Assert.Contains("--until-caught-up [S]", r.Out, StringComparison.Ordinal);
        Assert.Contains("replica set", r.Out, StringComparison.Ordinal);
        Assert.Contains("sync ", Etlfast.Run(["--help"]).Out, StringComparison.Ordinal);
    }
}
