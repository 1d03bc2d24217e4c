using EtlFast.Core.Tests.Load;
using EtlFast.Core.Tests.TestSupport;
using EtlFast.WireServer;
using MongoDB.Bson;
using Npgsql;

namespace EtlFast.Core.Tests.LiveSource;

using WireServer = EtlFast.WireServer.WireServer;

/// <summary>
/// Faults of the live source during <c>etlfast load</c>: a dropped connection or a failed getMore in
/// the middle of a range is outlived and leaves the tables exact; a server that cannot be reached is
/// exit code 3 with a short message naming host:port and never the password; a stopped load resumes
/// onto the same chunks.
/// </summary>
public sealed class LiveFaultTests : IDisposable
{
    private const int Users = 2000;
    private const ulong Seed = 515;
    private readonly Schemas _schemas = new();
    private readonly ScratchDir _dir = new("etlfast-live-faults-");

    public void Dispose()
    {
        _schemas.Dispose();
        _dir.Dispose();
    }

    [Theory]
    [InlineData("drop-connection")]
    [InlineData("drop-every-cursor")]
    [InlineData("cursor-not-found")]
    [InlineData("getmore-error")]
    public async Task A_fault_in_the_middle_of_a_range_leaves_the_tables_exact(string fault)
    {
        SeedData data = SeedData.Get(Users, Seed);
        await using WireServer server = LiveKit.SeedServer(data.BsonPath);
        string fileSchema = _schemas.New("lf_file");
        string liveSchema = _schemas.New("lf_" + fault.Replace('-', '_'));
        Etlfast.Load(data.BsonPath, SeedData.Mapping, fileSchema, "-j", "2").Ok();

        switch (fault)
        {
            case "drop-connection":
                // The planner's probes take about 16 batches; 30 lands among the 40-odd batches of the reads.
                server.Faults.DropConnectionAfterBatches(30, FaultScope.Server);
                break;
            case "drop-every-cursor":
                server.Faults.DropConnectionAfterBatches(4, FaultScope.Cursor);
                break;
            case "cursor-not-found":
                server.Faults.FailGetMore(5, 43, "CursorNotFound", "cursor id 7 not found");
                break;
            default:
                server.Faults.FailGetMore(3, 1, "InternalError");
                break;
        }
        CliResult r = Etlfast.Load(LiveKit.Uri(server), SeedData.Mapping, liveSchema, "-j", "2", "--batch-size", "50").Ok();

        Assert.True(server.Faults.ConnectionsDropped + server.Faults.GetMoresFailed > 0, $"the fault never fired\n{r}");
        Assert.Contains($"loaded {Users:N0} documents", r.Err);
        using NpgsqlConnection conn = TestPg.Open();
        LiveKit.SameTables(conn, fileSchema, liveSchema);
    }

    [Fact]
    public async Task A_refused_connection_is_exit_3_naming_the_host_and_not_the_password()
    {
        await using var server = new WireServer();
        server.Faults.RefuseConnections = true;
        string uri = $"mongodb://loader:Pa55-w0rd-xyz@127.0.0.1:{server.Port}/?directConnection=true&serverSelectionTimeoutMS=1500";

        CliResult r = Etlfast.Load(uri, SeedData.Mapping, _schemas.New("lf_refused")).Fails(3, $"127.0.0.1:{server.Port}");

        Assert.DoesNotContain("Pa55-w0rd-xyz", r.Err + r.Out);
        string firstLine = r.Err.Split('\n').First(l => l.Contains($"127.0.0.1:{server.Port}", StringComparison.Ordinal));
        Assert.True(firstLine.Length < 400, $"the message is not short:\n{r}");
        Assert.DoesNotContain("CompositeServerSelector", r.Err);
    }

    [Fact]
    public async Task A_load_stopped_by_a_bad_document_resumes_onto_the_same_chunks()
    {
        // The last user by _id gets an age of 40.5 (a double with a fraction cannot go into integer):
        // the load stops in the last range. Then the document is fixed in place, with the same size
        // (int64 40), on a server at the same address: --resume skips the committed chunks and loads
        // the rest, and the tables equal a file load of the fixed data.
        SeedData data = SeedData.Get(Users, Seed);
        List<BsonDocument> bad = [.. data.Documents.Select(d => d.DeepClone().AsBsonDocument)];
        List<BsonDocument> good = [.. data.Documents.Select(d => d.DeepClone().AsBsonDocument)];
        BsonDocument lastUser = bad.MaxBy(d => d["_id"].ToInt64())!;
        lastUser["age"] = new BsonDouble(40.5);
        good.Single(d => d["_id"] == lastUser["_id"])["age"] = new BsonInt64(40);
        string goodFile = _dir.Write("good.bson", BsonFile.Encode(good));
        string reference = _schemas.New("lf_ref");
        Etlfast.Load(goodFile, SeedData.Mapping, reference, "-j", "2").Ok();

        string schema = _schemas.New("lf_resume");
        int port;
        await using (var first = new WireServer())
        {
            port = first.Port;
            first.AddDocuments("sample_db", "users", bad);
            string uri = $"mongodb://127.0.0.1:{port}/?directConnection=true&serverSelectionTimeoutMS=5000";
            Etlfast.Load(uri, SeedData.Mapping, schema, "-j", "2", "--chunk-size", "1").Fails(4, "age");
        }
        using NpgsqlConnection conn = TestPg.Open();
        long committed = (long)TestPg.Scalar(conn,
            "SELECT count(*) FROM etlfast.chunks c JOIN etlfast.runs r USING (run_id) WHERE r.target_schema = $1 AND r.finished_at IS NULL", schema)!;
        Assert.True(committed > 0, "the stopped load committed no chunk, so the resume proves nothing");

        await using (var second = new WireServer(port))
        {
            second.AddDocuments("sample_db", "users", good);
            string uri = $"mongodb://127.0.0.1:{port}/?directConnection=true&serverSelectionTimeoutMS=5000";
            Etlfast.Load(uri, SeedData.Mapping, schema, "-j", "2", "--chunk-size", "1", "--resume").Ok();
        }
        LiveKit.SameTables(conn, reference, schema);
    }
}
