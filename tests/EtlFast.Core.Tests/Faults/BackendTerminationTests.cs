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
    /// Holds the load at the checkpoints of chunks 1 and later (chunk 0 commits; two chunks wait, each
    /// COPYed whole in an open transaction) and terminates the held backends, round after round, each
    /// round hitting the retries of the round before, until <paramref name="wanted"/> were hit; then
    /// releases the load to finish.
    /// </summary>
    private static int TerminateHeldChunks(EtlfastProcess p, CheckpointHold hold, string schema, string app, int wanted)
    {
        var hit = new HashSet<int>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (hit.Count < wanted)
        {
            hold.WaitUntilHeld(p, schema, app, 2, Bounded);
            List<int> held = Backends.Held(app).Where(pid => !hit.Contains(pid)).ToList(); // not one terminated already, still exiting
            Assert.True(clock.Elapsed < Bounded, $"only {hit.Count} of {wanted} held backends were terminated in {Bounded.TotalSeconds:N0} s\n{p}");
            if (held.Count == 0)
            {
                Thread.Sleep(10);
                continue;
            }
            Backends.Terminate(held);
            hit.UnionWith(held);
        }
        hold.Release();
        return hit.Count;
    }

    [Fact]
    public void Backends_terminated_mid_load_are_retried_to_exit_0_and_exact_tables()
    {
        FaultSeed data = FaultSeed.Get();
        string reference = data.ReferenceSchema;
        string schema = _scope.NewSchema("terminate");
        string app = FaultScope.NewAppName("term");
        using (CheckpointHold hold = CheckpointHold.From(data.RunId(schema), 1))
        using (EtlfastProcess p = EtlfastProcess.Start(data.ProcessArgs(schema, app)))
        {
            int terminated = TerminateHeldChunks(p, hold, schema, app, wanted: 3);
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
        using (CheckpointHold hold = CheckpointHold.From(data.RunId(schema), data.Chunks - 1))
        using (EtlfastProcess p = EtlfastProcess.Start(data.ProcessArgs(schema, app)))
        {
            // Held at the last chunk's checkpoint, then ACCESS SHARE on users: it lets the COPYs in but
            // holds back ALTER TABLE ... ADD PRIMARY KEY on users, whose backend then waits where the test
            // can terminate it, not at a random moment.
            hold.WaitUntilHeld(p, schema, app, 1, Bounded);
            using (var users = TableHold.Request(schema, "users", "ACCESS SHARE"))
            {
                users.WaitGranted();
                hold.Release();
                string statement = $"ALTER TABLE {TestPg.Qualify(schema, "users")} ADD PRIMARY KEY";
                Backends.WaitUntilWaiting(p, app, statement, 1, Bounded);
                terminated = Backends.Terminate(Backends.Waiting(app, statement));
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
        using (CheckpointHold hold = CheckpointHold.From(data.RunId(schema), 1))
        using (EtlfastProcess p = EtlfastProcess.Start(data.ProcessArgs(schema, app, rejects)))
        {
            int terminated = TerminateHeldChunks(p, hold, schema, app, wanted: 2);
            int exit = p.WaitForExit(Bounded);
            Assert.True(terminated > 0, $"no backend was caught in a COPY: the test proved nothing\n{p}");
            Assert.True(exit == 1, $"expected exit 1 (completed with rejects)\n{p}");
            Assert.Contains("retrying", p.Err);
        }
        data.AssertOutcome(rejects, schema);
    }
}
