using EtlFast.Core.Tests.TestSupport;
using Npgsql;

namespace EtlFast.Core.Tests.Faults;

/// <summary>
/// The real etlfast process killed with SIGKILL (no handler runs, nothing is flushed) at exact moments,
/// some chosen by fixed seeds, where the test holds it with locks of its own (<see cref="CheckpointHold"/>,
/// <see cref="TableHold"/>), whatever the speed of the machine; then resumed: the tables must end exactly as one uninterrupted load leaves
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
    public void Killed_with_chunks_in_flight_resumes_to_the_exact_tables(int seed)
    {
        FaultSeed data = FaultSeed.Get();
        var random = new Random(seed);
        // Held at the checkpoints of two chunks (COPYed whole, not committed) or in the COPY of a middle
        // table (the rows of the tables before it sent), with this many chunks committed, at least one.
        bool inCopy = random.Next(2) == 1;
        long committed = random.Next(inCopy ? 3 : 1, (int)data.Chunks - 2);
        string schema = _scope.NewSchema("kill");
        KillThenResume(data, schema, inCopy ? committed - 2 : committed, inCopy ? (p, app, hold) => HoldInCopy(p, schema, app, hold, "preferences") : null);
        _output.WriteLine($"seed {seed}: SIGKILL with {committed} of {data.Chunks} chunks committed, two {(inCopy ? "in the COPY of preferences" : "at their checkpoint")}");
    }

    /// <summary>
    /// From a load held at its checkpoints to one held in the COPY of <paramref name="table"/>: the lock on
    /// the table queues behind the held chunks, which then commit, and the next two chunks wait on it.
    /// </summary>
    private static IDisposable HoldInCopy(EtlfastProcess p, string schema, string app, CheckpointHold hold, string table)
    {
        var copy = TableHold.Request(schema, table, "SHARE ROW EXCLUSIVE");
        try
        {
            hold.Release();
            copy.WaitGranted();
            Backends.WaitUntilWaiting(p, app, $"COPY {TestPg.Qualify(schema, table)} ", HeldWorkers(FaultSeed.Get().Chunks - hold.First - 2), Bounded);
            Assert.Equal(hold.First + 2, CheckpointState.Of(schema).Chunks);
            return copy;
        }
        catch
        {
            p.Dispose(); // a lock left held would block the cleanup's DROP SCHEMA
            copy.Dispose();
            throw;
        }
    }

    [Fact]
    public void Killed_before_the_first_chunk_commits_resumes_to_the_exact_tables()
    {
        FaultSeed data = FaultSeed.Get();
        string schema = _scope.NewSchema("kill_first");
        // The tables exist and the run is recorded; the first two chunks wait at their checkpoints.
        KillThenResume(data, schema, heldFrom: 0);
    }

    [Fact]
    public void Killed_while_foreign_keys_are_built_resumes_to_the_exact_tables_and_keys()
    {
        FaultSeed data = FaultSeed.Get();
        string schema = _scope.NewSchema("kill_keys");
        // Every chunk committed and every primary key built; the foreign keys onto users wait on a lock.
        KillThenResume(data, schema, data.Chunks - 1, (p, app, hold) =>
        {
            using var lastKey = TableHold.Request(schema, "large_data", "ACCESS SHARE");
            lastKey.WaitGranted();
            hold.Release();
            Backends.WaitUntilWaiting(p, app, $"ALTER TABLE {TestPg.Qualify(schema, "large_data")} ADD PRIMARY KEY", 1, Bounded);
            WaitForPrimaryKeys(p, schema, 14);
            var users = TableHold.Request(schema, "users", "ROW EXCLUSIVE");
            try
            {
                users.WaitGranted();
                lastKey.Release();
                Backends.WaitUntilWaiting(p, app, $"ALTER TABLE {TestPg.Qualify(schema, "addresses")} ADD CONSTRAINT", 1, Bounded);
                Assert.True(p.WaitForErr("building foreign keys", Bounded), $"no foreign key phase\n{p}");
                return users;
            }
            catch
            {
                p.Dispose();
                users.Dispose();
                throw;
            }
        });
    }

    private static void WaitForPrimaryKeys(EtlfastProcess p, string schema, int count)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using NpgsqlConnection conn = TestPg.Open();
        while (PgConstraints.Keys(conn, schema).Count(k => k.StartsWith("PK ", StringComparison.Ordinal)) < count)
        {
            Assert.True(!p.HasExited && clock.Elapsed < Bounded, $"{count} primary keys were never built\n{p}");
            Thread.Sleep(10);
        }
    }

    [Fact]
    public void After_a_kill_mode_clean_starts_over_and_gives_the_exact_tables()
    {
        FaultSeed data = FaultSeed.Get();
        string schema = _scope.NewSchema("kill_clean");
        CheckpointState killed = Kill(data, schema, data.Chunks / 2);
        Assert.True(killed.Chunks == data.Chunks / 2, $"the kill came with {killed.Chunks} chunks committed, not {data.Chunks / 2}: {killed}");

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
        // Every chunk holds rejected documents. The kill comes while two chunks wait at their checkpoint,
        // so their documents were all encoded (and their rejects met) but they never committed: the resume
        // runs them again, and the reject file must still hold each rejected document once.
        RejectSeed data = RejectSeed.Write(_scope.Dir);
        string rejects = _scope.Dir.File("rejects");
        string schema = _scope.NewSchema("kill_rej");
        string app = FaultScope.NewAppName("killrej");
        using (CheckpointHold hold = CheckpointHold.From(data.RunId(schema), 1))
        using (EtlfastProcess p = EtlfastProcess.Start(data.ProcessArgs(schema, app, rejects)))
        {
            hold.WaitUntilHeld(p, schema, app, 2, Bounded);
            p.Signal(PosixSignals.SIGKILL);
            p.WaitForExit(TimeSpan.FromSeconds(30));
        }
        Backends.WaitUntilGone(app, TimeSpan.FromSeconds(30));
        CheckpointState killed = CheckpointState.Of(schema);
        Assert.True(killed.Exists && !killed.Finished && killed.Chunks == 1, $"the killed run must be recorded as unfinished, with one chunk: {killed}");

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
        // Chunk 0 commits; the chunks after it wait at their checkpoints, so nothing else commits.
        using (CheckpointHold hold = CheckpointHold.From(data.RunId(schema), 1))
        using (EtlfastProcess p = EtlfastProcess.Start(data.ProcessArgs(schema, app, rejects)))
        {
            hold.WaitUntilHeld(p, schema, app, 1, Bounded);
            // A loader that writes rejects before its chunk commits would have stalled before any commit.
            Assert.True(PosixSignals.WaitUntilBlockedOpeningFifo(p.Pid, Bounded), $"the loader never tried to write its reject file\n{p}");
            p.Signal(PosixSignals.SIGKILL);
            p.WaitForExit(TimeSpan.FromSeconds(30));
        }
        Backends.WaitUntilGone(app, TimeSpan.FromSeconds(30));
        File.Delete(fifo);
        CheckpointState killed = CheckpointState.Of(schema);
        Assert.True(killed.Exists && !killed.Finished && killed.Chunks == 1, $"the killed run must be recorded as unfinished, with one chunk: {killed}");

        CliResult r = Etlfast.Load(data.BsonPath, FaultSeed.Mapping, schema, [.. FaultSeed.LoadFlags, "--on-error", "reject", "--reject-dir", rejects, "--resume"]);
        Assert.True(r.Exit == 1, $"expected exit 1 (completed with rejects)\n{r}");
        data.AssertOutcome(rejects, schema);
    }

    /// <summary>How many of the two workers a hold stops when <paramref name="left"/> chunks remain.</summary>
    private static int HeldWorkers(long left) => (int)Math.Min(2, left);

    /// <summary>
    /// Runs the load held at the checkpoint of chunk <paramref name="heldFrom"/> (so exactly that many
    /// commit), lets <paramref name="moveOn"/> move it to another moment (returning what holds it there),
    /// SIGKILLs it while held, then releases; returns the checkpoints left, checked to stand for exactly the rows left.
    /// </summary>
    private static CheckpointState Kill(FaultSeed data, string schema, long heldFrom, Func<EtlfastProcess, string, CheckpointHold, IDisposable>? moveOn = null)
    {
        string reference = data.ReferenceSchema; // loaded before the load under test starts
        string app = FaultScope.NewAppName("kill");
        using (CheckpointHold hold = CheckpointHold.From(data.RunId(schema), heldFrom))
        using (EtlfastProcess p = EtlfastProcess.Start(data.ProcessArgs(schema, app)))
        {
            hold.WaitUntilHeld(p, schema, app, HeldWorkers(data.Chunks - heldFrom), Bounded);
            IDisposable? movedTo = moveOn?.Invoke(p, app, hold);
            try
            {
                Assert.False(p.HasExited, $"the load ended before the kill point: nothing was interrupted\n{p}");
                p.Signal(PosixSignals.SIGKILL);
                int exit = p.WaitForExit(TimeSpan.FromSeconds(30));
                Assert.True(exit == 128 + PosixSignals.SIGKILL, $"expected the SIGKILL status 137\n{p}");
            }
            finally
            {
                movedTo?.Dispose(); // only now: the dead loader's statements may go on, but can never commit a chunk
            }
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

    private static void KillThenResume(FaultSeed data, string schema, long heldFrom, Func<EtlfastProcess, string, CheckpointHold, IDisposable>? moveOn = null)
    {
        CheckpointState killed = Kill(data, schema, heldFrom, moveOn);

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
