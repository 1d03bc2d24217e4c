using System.Diagnostics;
using EtlFast.Core.Tests.TestSupport;
using Npgsql;

namespace EtlFast.Core.Tests.Faults;

/// <summary>
/// PostgreSQL backends of a running load terminated from outside (pg_terminate_backend, as an
/// administrator or a connection-killing proxy would): the chunk in flight rolls back and is retried
/// on a new connection, so the load still ends with exit 0 and exact tables, and rejects are not
/// recorded twice by the retry.
/// </summary>
public sealed class BackendTerminationTests : IDisposable
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(180);
    private readonly FaultScope _scope = new();

    public void Dispose() => _scope.Dispose();

    /// <summary>
    /// Terminates COPYing backends of <paramref name="app"/> until <paramref name="wanted"/> were hit,
    /// from the first committed chunk until the keys phase starts (faults there are not the chunks' to retry).
    /// </summary>
    private static int TerminateDuringData(EtlfastProcess p, string schema, string app, int wanted)
    {
        Assert.True(CheckpointState.WaitForChunks(schema, 1, p, Bounded), $"no chunk was ever committed\n{p}");
        int terminated = 0;
        var clock = Stopwatch.StartNew();
        while (terminated < wanted && !p.HasExited && clock.Elapsed < Bounded && !p.Err.Contains("building primary keys", StringComparison.Ordinal))
        {
            int hit = Backends.TerminateCopying(app);
            terminated += hit;
            Thread.Sleep(hit > 0 ? 400 : 15); // let the retry get going before the next blow
        }
        return terminated;
    }

    [Fact]
    public void Backends_terminated_mid_load_are_retried_to_exit_0_and_exact_tables()
    {
        FaultSeed data = FaultSeed.Get();
        string reference = data.ReferenceSchema;
        string schema = _scope.NewSchema("terminate");
        string app = FaultScope.NewAppName("term");
        using (EtlfastProcess p = EtlfastProcess.Start(data.ProcessArgs(schema, app)))
        {
            int terminated = TerminateDuringData(p, schema, app, wanted: 3);
            int exit = p.WaitForExit(Bounded);
            Assert.True(terminated > 0, $"no backend was caught in a COPY: the test proved nothing\n{p}");
            Assert.True(exit == 0, $"{terminated} terminated backend(s) should have been retried\n{p}");
            Assert.Contains("retrying", p.Err);
        }
        using NpgsqlConnection conn = TestPg.Open();
        SchemaCompare.Equal(conn, reference, schema);
        CheckpointState state = CheckpointState.Of(conn, schema);
        Assert.True(state.Finished && state.Chunks == data.Chunks && state.Documents == data.Count, $"checkpoints: {state}");
    }

    [Fact]
    public void A_backend_terminated_while_building_a_key_is_retried_to_exit_0_and_every_key()
    {
        FaultSeed data = FaultSeed.Get();
        string schema = _scope.NewSchema("terminate_keys");
        string app = FaultScope.NewAppName("termkey");
        int terminated = 0;
        using (EtlfastProcess p = EtlfastProcess.Start(data.ProcessArgs(schema, app)))
        {
            Assert.True(CheckpointState.WaitForChunks(schema, 1, p, Bounded), $"no chunk was ever committed\n{p}");
            // ACCESS SHARE lets the COPYs in but holds back ALTER TABLE ... ADD PRIMARY KEY on users:
            // its backend then waits where the test can terminate it, not at a random moment.
            using NpgsqlConnection holder = TestPg.Open();
            using (NpgsqlTransaction tx = holder.BeginTransaction())
            {
                TestPg.Execute(holder, $"LOCK TABLE {TestPg.Qualify(schema, "users")} IN ACCESS SHARE MODE");
                // Polled from another connection: pg_stat_activity is a snapshot for the rest of a transaction.
                using NpgsqlConnection watcher = TestPg.Open();
                var clock = Stopwatch.StartNew();
                while (terminated == 0 && !p.HasExited && clock.Elapsed < Bounded)
                {
                    terminated = (int)(long)TestPg.Scalar(watcher, """
                        SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
                        WHERE application_name = $1 AND wait_event_type = 'Lock' AND query LIKE 'ALTER TABLE%'
                        """, app)!;
                    Thread.Sleep(terminated > 0 ? 0 : 20);
                }
                tx.Rollback();
            }
            int exit = p.WaitForExit(Bounded);
            Assert.True(terminated > 0, $"no key build was caught waiting: the test proved nothing\n{p}");
            Assert.True(exit == 0, $"the terminated key build should have been retried\n{p}");
            Assert.Contains("retrying", p.Err);
        }
        using NpgsqlConnection conn = TestPg.Open();
        SchemaCompare.Equal(conn, data.ReferenceSchema, schema); // rows, and every key and index
        Assert.True(CheckpointState.Of(conn, schema).Finished, "the run is not marked finished");
    }

    [Fact]
    public void A_retried_chunk_records_each_reject_once()
    {
        RejectSeed data = RejectSeed.Write(_scope.Dir);
        string rejects = _scope.Dir.File("rejects");
        string schema = _scope.NewSchema("terminate_rej");
        string app = FaultScope.NewAppName("termrej");
        using (EtlfastProcess p = EtlfastProcess.Start(data.ProcessArgs(schema, app, rejects)))
        {
            int terminated = TerminateDuringData(p, schema, app, wanted: 2);
            int exit = p.WaitForExit(Bounded);
            Assert.True(terminated > 0, $"no backend was caught in a COPY: the test proved nothing\n{p}");
            Assert.True(exit == 1, $"expected exit 1 (completed with rejects)\n{p}");
            Assert.Contains("retrying", p.Err);
        }
        data.AssertOutcome(rejects, schema);
    }
}
