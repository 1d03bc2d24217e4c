using System.Diagnostics;
using EtlFast.Core.Load;
using EtlFast.Core.Tests.TestSupport;
using Npgsql;

namespace EtlFast.Core.Tests.Faults;

/// <summary>
/// A whole-database load (<c>etlfast gen app</c>'s five collections, examples/app) killed with SIGKILL
/// while one collection's chunk waits at its checkpoint, after the collections loaded before it
/// committed; then the same command with --resume: every table must end as an uninterrupted load
/// leaves it, keys across collections included.
/// </summary>
public sealed class DatabaseKillTests : IDisposable
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(180);
    private readonly FaultScope _scope = new();

    public void Dispose() => _scope.Dispose();

    private static string Mappings => RepoRoot.File("examples", "app");

    private string[] LoadArgs(string dump, string target, string schema, params string[] extra) =>
        ["load", "--from", dump, "-m", Mappings, "--to", target, "--schema", schema, "--chunk-size", "1", "-q", .. extra];

    [Fact]
    public void Killed_inside_a_later_collection_the_database_load_resumes_to_the_exact_tables()
    {
        string dump = _scope.Dir.File("dump");
        Etlfast.Run(["gen", "app", "-n", "3000", "-q", "-o", dump]).Ok();
        string reference = _scope.NewSchema("dbk_ref");
        Etlfast.Run(LoadArgs(dump, TestPg.ConnectionString, reference)).Ok();

        // Reviews load after orders (the largest collection goes first): hold reviews' first chunk.
        string schema = _scope.NewSchema("dbk");
        string app = FaultScope.NewAppName("dbkill");
        string reviewsRun = Checkpoints.RunId(Checkpoints.SourceIdentity(dump, null)!,
            File.ReadAllBytes(Path.Combine(Mappings, "reviews.json")), schema, 1 << 20);
        using (CheckpointHold hold = CheckpointHold.From(reviewsRun, 0))
        using (EtlfastProcess p = EtlfastProcess.Start(LoadArgs(dump, FaultScope.Target(app), schema)))
        {
            var clock = Stopwatch.StartNew();
            while (Backends.Held(app).Count < 1)
            {
                Assert.True(!p.HasExited, $"the load ended though reviews' chunk could not commit\n{p}");
                Assert.True(clock.Elapsed < Bounded, $"reviews' chunk was never held at its checkpoint\n{p}");
                Thread.Sleep(10);
            }
            p.Signal(PosixSignals.SIGKILL);
            p.WaitForExit(TimeSpan.FromSeconds(30));
        }
        Backends.WaitUntilGone(app, TimeSpan.FromSeconds(30));

        using NpgsqlConnection conn = TestPg.Open();
        Assert.Equal(3000L, TestPg.Scalar(conn, $"SELECT count(*) FROM {TestPg.Qualify(schema, "orders")}"));
        Assert.Equal(0L, TestPg.Scalar(conn, $"SELECT count(*) FROM {TestPg.Qualify(schema, "reviews")}"));
        Assert.Empty(PgConstraints.Keys(conn, schema)); // keys wait for every collection's data

        // A plain re-run is refused; the same command with --resume finishes every collection.
        CliResult again = Etlfast.Run(LoadArgs(dump, TestPg.ConnectionString, schema));
        Assert.True(again.Exit == 2, $"a re-run over the killed load must be refused\n{again}");
        Etlfast.Run(LoadArgs(dump, TestPg.ConnectionString, schema, "--resume")).Ok();
        SchemaCompare.Equal(conn, reference, schema);
        Assert.Contains("FK reviews(customer_id) -> customers(id)", PgConstraints.Keys(conn, schema));
    }
}
