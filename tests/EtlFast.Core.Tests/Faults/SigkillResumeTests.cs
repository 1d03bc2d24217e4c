using EtlFast.Core.Tests.TestSupport;
using Npgsql;

namespace EtlFast.Core.Tests.Faults;

/// <summary>
/// The real etlfast process killed with SIGKILL (no handler runs, nothing is flushed) at moments
/// chosen by fixed seeds, then resumed: the tables must end exactly as one uninterrupted load leaves
/// them, with nothing doubled or missing; meanwhile the target must hold only whole committed chunks,
/// a plain re-run must be refused, and --mode clean must start over.
/// </summary>
public sealed class SigkillResumeTests : IDisposable
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(180);
    private readonly FaultScope _scope = new();
    private readonly Xunit.Abstractions.ITestOutputHelper _output;

    public SigkillResumeTests(Xunit.Abstractions.ITestOutputHelper output) => _output = output;

    public void Dispose() => _scope.Dispose();

    [Theory]
    [InlineData(101)]
    [InlineData(202)]
    [InlineData(303)]
    [InlineData(404)]
    public void Killed_between_or_inside_chunks_resumes_to_the_exact_tables(int seed)
    {
        FaultSeed data = FaultSeed.Get();
        var random = new Random(seed);
        // At least one chunk committed (so the run exists), and enough left that the kill lands in the data phase.
        long afterChunks = random.Next(1, (int)data.Chunks - 2);
        int delayMs = random.Next(0, 300);

        string schema = _scope.NewSchema("kill");
        KillThenResume(data, schema, p =>
        {
            Assert.True(CheckpointState.WaitForChunks(schema, afterChunks, p, Bounded), $"the load never committed {afterChunks} chunks\n{p}");
            Thread.Sleep(delayMs);
            _output.WriteLine($"seed {seed}: SIGKILL {delayMs} ms after chunk {afterChunks} of {data.Chunks} committed");
        });
    }

    [Fact]
    public void Killed_as_loading_starts_resumes_to_the_exact_tables()
    {
        FaultSeed data = FaultSeed.Get();
        string schema = _scope.NewSchema("kill_first");
        // "loading" is printed once the tables exist and the run is recorded, before the first chunk can have committed.
        KillThenResume(data, schema, p => Assert.True(p.WaitForErr("etlfast: loading ", Bounded), $"no loading phase\n{p}"));
    }

    [Fact]
    public void Killed_while_foreign_keys_are_built_resumes_to_the_exact_tables_and_keys()
    {
        FaultSeed data = FaultSeed.Get();
        string schema = _scope.NewSchema("kill_keys");
        // Every chunk is committed and the primary keys exist; the run is not finished.
        KillThenResume(data, schema, p => Assert.True(p.WaitForErr("building foreign keys", Bounded), $"no foreign key phase\n{p}"));
    }

    [Fact]
    public void After_a_kill_mode_clean_starts_over_and_gives_the_exact_tables()
    {
        FaultSeed data = FaultSeed.Get();
        string schema = _scope.NewSchema("kill_clean");
        CheckpointState killed = Kill(data, schema, p =>
            Assert.True(CheckpointState.WaitForChunks(schema, data.Chunks / 2, p, Bounded), $"the load never got half way\n{p}"));
        Assert.True(killed.Chunks > 0, $"nothing was committed before the kill: {killed}");

        CliResult r = data.LoadInProcess(schema, "--mode", "clean").Ok();

        Assert.DoesNotContain("resuming", r.Err);
        using NpgsqlConnection conn = TestPg.Open();
        SchemaCompare.Equal(conn, data.ReferenceSchema, schema);
        CheckpointState after = CheckpointState.Of(conn, schema);
        Assert.True(after.Finished && after.Chunks == data.Chunks && after.Documents == data.Count, $"checkpoints after --mode clean: {after}");
    }

    [Fact]
    public void A_reject_mode_load_killed_mid_chunk_and_resumed_records_each_reject_once()
    {
        // Every chunk holds rejected documents. The kill comes while a chunk is in its COPY, so its
        // documents were all encoded (and its rejects met) but it never committed: the resume runs it
        // again, and the reject file must still hold each rejected document once.
        RejectSeed data = RejectSeed.Write(_scope.Dir);
        string rejects = _scope.Dir.File("rejects");
        string schema = _scope.NewSchema("kill_rej");
        string app = FaultScope.NewAppName("killrej");
        using (EtlfastProcess p = EtlfastProcess.Start(data.ProcessArgs(schema, app, rejects)))
        {
            Assert.True(CheckpointState.WaitForChunks(schema, 1, p, Bounded), $"no chunk was ever committed\n{p}");
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (Backends.CountCopying(app) == 0)
            {
                Assert.True(!p.HasExited && clock.Elapsed < Bounded, $"no chunk was ever seen in its COPY\n{p}");
                Thread.Sleep(2);
            }
            p.Signal(PosixSignals.SIGKILL);
            p.WaitForExit(TimeSpan.FromSeconds(30));
        }
        Backends.WaitUntilGone(app, TimeSpan.FromSeconds(30));
        CheckpointState killed = CheckpointState.Of(schema);
        Assert.True(killed.Exists && !killed.Finished, $"the killed run must be recorded as unfinished: {killed}");

        CliResult r = Etlfast.Load(data.BsonPath, FaultSeed.Mapping, schema, [.. FaultSeed.LoadFlags, "--on-error", "reject", "--reject-dir", rejects, "--resume"]);
        Assert.True(r.Exit == 1, $"expected exit 1 (completed with rejects)\n{r}");
        data.AssertOutcome(rejects, schema);
    }

    [Fact]
    public void Rejects_of_a_chunk_committed_just_before_a_kill_are_in_the_reject_file_after_resume()
    {
        // The reject file is a named pipe nobody reads, so the first write to it blocks: the loader is
        // held right after its first chunk with rejects committed, and is killed there. That chunk is
        // never loaded again (its checkpoint says so), so its rejects must already be safe somewhere.
        RejectSeed data = RejectSeed.Write(_scope.Dir);
        string rejects = _scope.Dir.File("rejects");
        Directory.CreateDirectory(rejects);
        string fifo = Path.Combine(rejects, "users.rejects.bson");
        PosixSignals.MakeFifo(fifo);
        string schema = _scope.NewSchema("kill_rej_commit");
        string app = FaultScope.NewAppName("killrejc");
        using (EtlfastProcess p = EtlfastProcess.Start(data.ProcessArgs(schema, app, rejects)))
        {
            // A loader that writes rejects before its chunk commits stalls before any commit instead: kill it then.
            CheckpointState.WaitForChunks(schema, 1, p, TimeSpan.FromSeconds(20));
            Thread.Sleep(500); // whatever the loader does right after a commit, it has had time to do
            Assert.False(p.HasExited, $"the load ended though its reject file cannot be written\n{p}");
            p.Signal(PosixSignals.SIGKILL);
            p.WaitForExit(TimeSpan.FromSeconds(30));
        }
        Backends.WaitUntilGone(app, TimeSpan.FromSeconds(30));
        File.Delete(fifo);
        CheckpointState killed = CheckpointState.Of(schema);
        Assert.True(killed.Exists && !killed.Finished, $"the killed run must be recorded as unfinished: {killed}");

        CliResult r = Etlfast.Load(data.BsonPath, FaultSeed.Mapping, schema, [.. FaultSeed.LoadFlags, "--on-error", "reject", "--reject-dir", rejects, "--resume"]);
        Assert.True(r.Exit == 1, $"expected exit 1 (completed with rejects)\n{r}");
        data.AssertOutcome(rejects, schema);
    }

    /// <summary>Runs the load, waits for <paramref name="killPoint"/>, SIGKILLs it; returns the checkpoints left, checked to stand for exactly the rows left.</summary>
    private static CheckpointState Kill(FaultSeed data, string schema, Action<EtlfastProcess> killPoint)
    {
        string reference = data.ReferenceSchema; // loaded before the clock starts
        string app = FaultScope.NewAppName("kill");
        using (EtlfastProcess p = EtlfastProcess.Start(data.ProcessArgs(schema, app)))
        {
            killPoint(p);
            Assert.False(p.HasExited, $"the load ended before the kill point: nothing was interrupted\n{p}");
            p.Signal(PosixSignals.SIGKILL);
            int exit = p.WaitForExit(TimeSpan.FromSeconds(30));
            Assert.True(exit == 128 + PosixSignals.SIGKILL, $"expected the SIGKILL status 137\n{p}");
        }
        Backends.WaitUntilGone(app, TimeSpan.FromSeconds(30));
        Assert.NotEqual(reference, schema);

        using NpgsqlConnection conn = TestPg.Open();
        CheckpointState state = CheckpointState.Of(conn, schema);
        Assert.True(state.Exists && !state.Finished, $"the killed run must be recorded as unfinished: {state}");
        Assert.True(state.Chunks < data.Chunks || PgConstraints.Keys(conn, schema).Count < PgConstraints.Keys(conn, reference).Count,
            "the kill came after the load was complete");
        SchemaCompare.HoldsOnlyCommittedChunks(conn, schema, state, "users");
        return state;
    }

    private static void KillThenResume(FaultSeed data, string schema, Action<EtlfastProcess> killPoint)
    {
        CheckpointState killed = Kill(data, schema, killPoint);

        // Loading again as if nothing happened would add the committed chunks a second time: refused.
        using NpgsqlConnection conn = TestPg.Open();
        string before = string.Join(",", PgTable.Tables(conn, schema).Select(t => PgTable.Count(conn, schema, t)));
        data.LoadInProcess(schema).Fails(2, "--resume", "unfinished load");
        Assert.Equal(before, string.Join(",", PgTable.Tables(conn, schema).Select(t => PgTable.Count(conn, schema, t))));
        Assert.Equal(killed, CheckpointState.Of(conn, schema), CheckpointComparer.Instance);

        CliResult r = data.LoadInProcess(schema, "--resume");
        Assert.True(r.Exit == 0, $"--resume after a SIGKILL with {killed.Chunks} chunks committed failed\n{r}");
        Assert.Contains($"resuming: {killed.Chunks:N0} chunks ({killed.Documents:N0} documents) were committed", r.Err);

        SchemaCompare.Equal(conn, data.ReferenceSchema, schema);
        CheckpointState after = CheckpointState.Of(conn, schema);
        Assert.True(after.Finished && after.Chunks == data.Chunks && after.Documents == data.Count, $"checkpoints after --resume: {after}");
    }

    private sealed class CheckpointComparer : IEqualityComparer<CheckpointState>
    {
        public static readonly CheckpointComparer Instance = new();

        public bool Equals(CheckpointState? x, CheckpointState? y) => x is not null && y is not null
            && (x.Exists, x.Finished, x.Chunks, x.Documents, x.Rejected, x.Rows) == (y.Exists, y.Finished, y.Chunks, y.Documents, y.Rejected, y.Rows)
            && x.ChunkIndexes.SequenceEqual(y.ChunkIndexes);

        public int GetHashCode(CheckpointState obj) => obj.Chunks.GetHashCode();
    }
}
