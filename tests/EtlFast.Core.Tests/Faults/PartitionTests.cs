using EtlFast.Core.Tests.LiveSource;
using EtlFast.Core.Tests.TestSupport;
using Npgsql;

namespace EtlFast.Core.Tests.Faults;

using WireServer = EtlFast.WireServer.WireServer;

/// <summary>
/// --partition I/N: N real etlfast processes started at once with the same flags load together exactly
/// what one process loads (rows, keys, indexes), each chunk once; the first prepares the tables and the
/// last builds the keys. A partition that ran before needs --resume; a wrong partition is a usage error.
/// </summary>
public sealed class PartitionTests : IDisposable
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(240);
    private readonly FaultScope _scope = new();

    public void Dispose() => _scope.Dispose();

    /// <summary>Starts one process per partition at once, waits for all; returns them (exited).</summary>
    private static List<EtlfastProcess> RunAll(int n, Func<int, string[]> args)
    {
        List<EtlfastProcess> processes = [.. Enumerable.Range(0, n).Select(i => EtlfastProcess.Start(args(i)))];
        foreach (EtlfastProcess p in processes)
        {
            int exit = p.WaitForExit(Bounded);
            Assert.True(exit == 0, $"a partition failed\n{p}");
        }
        return processes;
    }

    private static void AssertOneDidEachSharedStep(List<EtlfastProcess> processes)
    {
        Assert.True(processes.Count(p => p.Err.Contains("preparing tables", StringComparison.Ordinal)) == 1,
            $"exactly one partition should prepare the tables\n{string.Join("\n\n", processes)}");
        Assert.True(processes.Count(p => p.Err.Contains("building primary keys", StringComparison.Ordinal)) == 1,
            $"exactly one partition (the last to finish) should build the keys\n{string.Join("\n\n", processes)}");
    }

    [Fact]
    public void Three_processes_of_a_file_load_give_exactly_the_tables_of_one()
    {
        FaultSeed data = FaultSeed.Get();
        string schema = _scope.NewSchema("part3");

        List<EtlfastProcess> processes = RunAll(3, i => data.ProcessArgs(schema, FaultScope.NewAppName($"part{i}"), "--partition", $"{i}/3"));
        try
        {
            AssertOneDidEachSharedStep(processes);
        }
        finally
        {
            processes.ForEach(p => p.Dispose());
        }

        using NpgsqlConnection conn = TestPg.Open();
        SchemaCompare.Equal(conn, data.ReferenceSchema, schema); // rows, keys and indexes
        CheckpointState state = CheckpointState.Of(conn, schema);
        Assert.True(state.Finished && state.Chunks == data.Chunks && state.Documents == data.Count, $"checkpoints: {state}");
    }

    [Fact]
    public async Task The_kubernetes_example_manifest_runs_as_an_indexed_job_of_live_partitions_and_gives_the_tables_of_one()
    {
        // examples/k8s/etlfast-indexed-job.yaml as Kubernetes would run it: one process per completion
        // index, with $(JOB_COMPLETION_INDEX) and $(MONGO_URI) expanded; the target comes from --to here.
        (int completions, List<string> manifestArgs) = IndexedJob(RepoRoot.File("examples", "k8s", "etlfast-indexed-job.yaml"));
        Assert.Contains($"$(JOB_COMPLETION_INDEX)/{completions}", manifestArgs);
        FaultSeed data = FaultSeed.Get();
        await using WireServer server = LiveKit.SeedServer(data.BsonPath);
        string uri = LiveKit.Uri(server);
        string schema = _scope.NewSchema("partlive");

        List<EtlfastProcess> processes = RunAll(completions, i =>
            [.. manifestArgs.Select(a => a.Replace("$(JOB_COMPLETION_INDEX)", i.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
                                      .Replace("$(MONGO_URI)", uri, StringComparison.Ordinal)
                                      .Replace("/config/mapping.json", FaultSeed.Mapping, StringComparison.Ordinal)),
             "--to", FaultScope.Target(FaultScope.NewAppName($"plive{i}")), "--schema", schema, "--chunk-size", "1", "-j", "1"]);
        try
        {
            AssertOneDidEachSharedStep(processes);
        }
        finally
        {
            processes.ForEach(p => p.Dispose());
        }

        using NpgsqlConnection conn = TestPg.Open();
        SchemaCompare.Equal(conn, data.ReferenceSchema, schema);
        Assert.True(CheckpointState.Of(conn, schema).Finished, "the run is not marked finished");
    }

    /// <summary>The Job's completions and its container's args (the YAML list items after "args:", comments dropped).</summary>
    private static (int Completions, List<string> Args) IndexedJob(string path)
    {
        string[] lines = File.ReadAllLines(path);
        Assert.Contains(lines, l => l.Trim() == "completionMode: Indexed");
        int completions = int.Parse(lines.Single(l => l.TrimStart().StartsWith("completions:", StringComparison.Ordinal)).Split(':')[1].Trim(),
            System.Globalization.CultureInfo.InvariantCulture);
        var args = new List<string>();
        int at = Array.FindIndex(lines, l => l.Trim() == "args:");
        Assert.True(at >= 0, "the manifest has no args");
        for (int i = at + 1; i < lines.Length && lines[i].TrimStart().StartsWith("- ", StringComparison.Ordinal); i++)
        {
            string item = lines[i].TrimStart()[2..];
            int comment = item.IndexOf(" #", StringComparison.Ordinal);
            args.Add((comment < 0 ? item : item[..comment]).Trim());
        }
        return (completions, args);
    }

    [Fact]
    public void A_partition_that_ran_before_needs_resume_and_the_last_one_finishes_the_load()
    {
        FaultSeed data = FaultSeed.Get();
        string schema = _scope.NewSchema("partseq");
        string app = FaultScope.NewAppName("pseq");
        string[] Part(int i, params string[] extra) => data.ProcessArgs(schema, app, ["--partition", $"{i}/2", .. extra]);

        using (EtlfastProcess first = EtlfastProcess.Start(Part(0)))
        {
            Assert.True(first.WaitForExit(Bounded) == 0, $"{first}");
            Assert.Contains("1 of 2 partitions have finished", first.Err);
        }
        using NpgsqlConnection conn = TestPg.Open();
        Assert.False(CheckpointState.Of(conn, schema).Finished, "one partition of two must not mark the load finished");
        Assert.Empty(PgConstraints.Keys(conn, schema)); // keys wait for the last partition

        using (EtlfastProcess restarted = EtlfastProcess.Start(Part(0, "--resume")))
        {
            // A pod restarted after its partition finished, while the other has not: nothing to read.
            Assert.True(restarted.WaitForExit(Bounded) == 0, $"{restarted}");
            Assert.Contains("nothing to do: partition 0/2", restarted.Err);
            Assert.Contains("1 of 2 partitions have finished", restarted.Err);
            Assert.DoesNotContain("loading ", restarted.Err);
        }

        using (EtlfastProcess again = EtlfastProcess.Start(Part(0)))
        {
            Assert.True(again.WaitForExit(Bounded) == 2, $"{again}");
            Assert.Contains("partition 0/2 of this load has run before", again.Err);
            Assert.Contains("--resume", again.Err);
        }
        using (EtlfastProcess wrongCount = EtlfastProcess.Start(data.ProcessArgs(schema, app, "--partition", "1/3")))
        {
            Assert.True(wrongCount.WaitForExit(Bounded) == 2, $"{wrongCount}");
            Assert.Contains("split into 2 partitions, not 3", wrongCount.Err);
        }
        using (var users = TableHold.Request(schema, "users", "ACCESS SHARE"))
        {
            // The last partition commits its chunks (COPY does not conflict with the lock), finishes its
            // part, and is killed while its key build waits: every partition is finished, the load is not.
            users.WaitGranted();
            using EtlfastProcess last = EtlfastProcess.Start(Part(1));
            Backends.WaitUntilWaiting(last, app, $"ALTER TABLE {TestPg.Qualify(schema, "users")} ADD PRIMARY KEY", 1, Bounded);
            last.Signal(PosixSignals.SIGKILL);
            last.WaitForExit(Bounded);
        }
        Backends.WaitUntilGone(app, Bounded); // its orphaned key build ends once the lock is released
        Assert.False(CheckpointState.Of(conn, schema).Finished, "killed while building keys, the load must not be marked finished");
        using (EtlfastProcess finisher = EtlfastProcess.Start(Part(0, "--resume")))
        {
            // Any partition's restart finishes it, without reading the source again.
            Assert.True(finisher.WaitForExit(Bounded) == 0, $"{finisher}");
            Assert.Contains("as have all 2, but the load is not marked finished", finisher.Err);
            Assert.Contains("building primary keys", finisher.Err);
            Assert.DoesNotContain("loading ", finisher.Err);
        }
        using (EtlfastProcess resumed = EtlfastProcess.Start(Part(1, "--resume")))
        {
            // Finished: a restarted pod passing --resume finds nothing left and must not double anything.
            Assert.True(resumed.WaitForExit(Bounded) == 0, $"{resumed}");
            Assert.Contains("nothing to do: the load of", resumed.Err);
        }
        SchemaCompare.Equal(conn, data.ReferenceSchema, schema);
        CheckpointState state = CheckpointState.Of(conn, schema);
        Assert.True(state.Finished && state.Chunks == data.Chunks, $"checkpoints: {state}");
    }

    [Fact]
    public void Partitions_with_rejects_each_write_their_own_reject_file_and_together_every_reject_once()
    {
        RejectSeed data = RejectSeed.Write(_scope.Dir);
        string rejects = _scope.Dir.File("rejects");
        string schema = _scope.NewSchema("partrej");
        var processes = Enumerable.Range(0, 2)
            .Select(i => EtlfastProcess.Start([.. data.ProcessArgs(schema, FaultScope.NewAppName($"prej{i}"), rejects), "--partition", $"{i}/2"]))
            .ToList();
        var files = new List<List<long>>();
        try
        {
            foreach (EtlfastProcess p in processes)
            {
                Assert.True(p.WaitForExit(Bounded) == 1, $"expected exit 1 (completed with rejects)\n{p}");
            }
            for (int i = 0; i < 2; i++)
            {
                string file = Path.Combine(rejects, $"users.part-{i}-of-2.rejects.bson");
                Assert.True(File.Exists(file), $"no reject file {file}\n{processes[i]}");
                files.Add(RejectTests.RejectedIds(File.ReadAllBytes(file)));
                Assert.Contains($"{files[i].Count:N0} documents were rejected", processes[i].Err);
            }
        }
        finally
        {
            processes.ForEach(p => p.Dispose());
        }
        Assert.Empty(files[0].Intersect(files[1]));
        Assert.Equal(data.Bad.Order(), files[0].Concat(files[1]).Order());
        using NpgsqlConnection conn = TestPg.Open();
        CheckpointState state = CheckpointState.Of(conn, schema);
        Assert.True(state.Finished && state.Documents == RejectSeed.Users && state.Rejected == data.Bad.Count, $"checkpoints: {state}");
        Assert.Equal((long)(RejectSeed.Users - data.Bad.Count), (long)TestPg.Scalar(conn, $"SELECT count(DISTINCT id) FROM {TestPg.Qualify(schema, "users")}")!);
    }

    [Theory]
    [InlineData("3/3", "does not exist")]
    [InlineData("1/0", "1 to 10,000")]
    [InlineData("x", "write I/N")]
    [InlineData("-1/2", "write I/N")]
    public void A_partition_that_cannot_be_is_a_usage_error(string value, string phrase)
    {
        CliResult r = Etlfast.Run(["load", "--from", "users.bson", "-m", FaultSeed.Mapping, "--partition", value]);
        r.Fails(2, "--partition", phrase);
    }
}
