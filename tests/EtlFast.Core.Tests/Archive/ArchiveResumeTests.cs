using EtlFast.Core.Tests.Faults;
using EtlFast.Core.Tests.TestSupport;
using Npgsql;

namespace EtlFast.Core.Tests.Archive;

/// <summary>
/// --resume works on an archive file as on a .bson: the real process, killed with SIGKILL while two
/// chunks wait at their checkpoint (held by the test's own lock, not by timing), then resumed in process,
/// skips the committed chunks and ends with exactly the tables of one uninterrupted load of the .bson.
/// </summary>
public sealed class ArchiveResumeTests : IDisposable
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(180);
    private readonly FaultScope _scope = new();

    public void Dispose() => _scope.Dispose();

    [Fact]
    public void An_archive_load_killed_mid_way_resumes_to_the_exact_tables()
    {
        FaultSeed data = FaultSeed.Get();
        string reference = data.ReferenceSchema; // the .bson loaded whole, with the same flags
        SeedArchive archive = SeedArchive.Write(data.Bytes, Load.SeedData.Get(40, seed: 99).Bytes, ("sample_db", "users"), ("other_db", "users"));
        string path = _scope.Dir.Write("kill/dump.archive", archive.Bytes);
        string schema = _scope.NewSchema("arc_kill");
        string app = FaultScope.NewAppName("arckill");
        long heldFrom = data.Chunks / 2;

        using (CheckpointHold hold = CheckpointHold.From(CheckpointHold.RunIdOf(path, FaultSeed.Mapping, schema), heldFrom))
        using (EtlfastProcess p = EtlfastProcess.Start(
            ["load", "--from", path, "-m", FaultSeed.Mapping, "--to", FaultScope.Target(app), "--schema", schema, .. FaultSeed.LoadFlags]))
        {
            hold.WaitUntilHeld(p, schema, app, 2, Bounded);
            p.Signal(PosixSignals.SIGKILL);
            Assert.True(p.WaitForExit(TimeSpan.FromSeconds(30)) == 128 + PosixSignals.SIGKILL, $"expected the SIGKILL status 137\n{p}");
        }
        Backends.WaitUntilGone(app, TimeSpan.FromSeconds(30));
        using NpgsqlConnection conn = TestPg.Open();
        CheckpointState killed = CheckpointState.Of(conn, schema);
        Assert.True(killed.Exists && !killed.Finished && killed.Chunks == heldFrom, $"killed with {heldFrom} chunks committed, the checkpoints say {killed}");
        SchemaCompare.HoldsOnlyCommittedChunks(conn, schema, killed, "users");

        CliResult r = Etlfast.Load(path, FaultSeed.Mapping, schema, [.. FaultSeed.LoadFlags, "--resume"]).Ok();

        Assert.Contains($"resuming: {killed.Chunks:N0} chunks ({killed.Documents:N0} documents) were committed", r.Err);
        SchemaCompare.Equal(conn, reference, schema);
        CheckpointState after = CheckpointState.Of(conn, schema);
        Assert.True(after.Finished && after.Chunks == data.Chunks && after.Documents == data.Count, $"checkpoints after --resume: {after}");
    }
}
