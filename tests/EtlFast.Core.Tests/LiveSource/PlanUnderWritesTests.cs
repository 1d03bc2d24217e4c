using EtlFast.Core.Tests.Faults;
using EtlFast.Core.Tests.Load;
using EtlFast.Core.Tests.TestSupport;
using MongoDB.Bson;
using Npgsql;

namespace EtlFast.Core.Tests.LiveSource;

using WireServer = EtlFast.WireServer.WireServer;

/// <summary>
/// The range planner against a collection that is written while it is planned, as every live one is:
/// the whole collection's count and the type groups' counts then disagree. The plan must keep its
/// <c>_id</c> ranges (disjoint groups, plus one query for what they miss, still cover every document
/// once), not fall back to one whole-collection range, which reads on one core and cannot be resumed
/// exactly after a kill.
/// </summary>
public sealed class PlanUnderWritesTests : IDisposable
{
    private readonly Schemas _schemas = new();

    public void Dispose() => _schemas.Dispose();

    [Fact]
    public async Task Documents_inserted_between_the_counts_keep_the_ranges_and_every_document_is_loaded_once()
    {
        List<BsonDocument> all = SeedData.Get(2300).Documents;
        await using var server = new WireServer();
        server.AddDocuments("sample_db", "users", all.Take(2000));
        int fired = 0;
        server.OnCommand = command =>
        {
            // After the whole collection is counted, before its groups are: 300 users with larger _ids arrive.
            if (command.Name == "count" && command.Body["query"].AsBsonDocument.ElementCount > 0 && Interlocked.Exchange(ref fired, 1) == 0)
            {
                server.AddDocuments("sample_db", "users", all.Skip(2000));
            }
        };
        string schema = _schemas.New("plan_writes");

        CliResult r = Etlfast.Load(LiveKit.Uri(server), SeedData.Mapping, schema, "-j", "2");

        r.Ok();
        Assert.Equal(1, fired);
        Assert.Contains("the collection changed while being planned", r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("read whole", r.Err, StringComparison.Ordinal);
        using NpgsqlConnection conn = TestPg.Open();
        Assert.Equal("2300 2300", TestPg.Scalar(conn, $"SELECT count(*) || ' ' || count(DISTINCT id) FROM {TestPg.Qualify(schema, "users")}"));
    }
}
