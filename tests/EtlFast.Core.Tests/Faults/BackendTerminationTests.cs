using System.Diagnostics;
using EtlFast.Core.Generation;
using EtlFast.Core.Tests.TestSupport;
using MongoDB.Bson;
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
    public void A_retried_chunk_records_each_reject_once()
    {
        // Seed users where every 25th has a string age: a type mismatch for the integer column, so a
        // rejected document in every chunk, and a retry of any chunk meets its rejects a second time.
        const int users = 1000;
        List<BsonDocument> docs = BsonFile.Decode(Generate(users, 99));
        var bad = new HashSet<long>();
        foreach (BsonDocument d in docs)
        {
            if (d["_id"].ToInt64() % 25 == 0)
            {
                d["age"] = "forty";
                bad.Add(d["_id"].ToInt64());
            }
        }
        string source = _scope.Dir.Write("users-with-rejects.bson", BsonFile.Encode(docs));
        string rejects = _scope.Dir.File("rejects");
        string schema = _scope.NewSchema("terminate_rej");
        string app = FaultScope.NewAppName("termrej");
        using (EtlfastProcess p = EtlfastProcess.Start(
            ["load", "--from", source, "-m", FaultSeed.Mapping, "--to", FaultScope.Target(app), "--schema", schema, .. FaultSeed.LoadFlags,
             "--on-error", "reject", "--reject-dir", rejects]))
        {
            int terminated = TerminateDuringData(p, schema, app, wanted: 2);
            int exit = p.WaitForExit(Bounded);
            Assert.True(terminated > 0, $"no backend was caught in a COPY: the test proved nothing\n{p}");
            Assert.True(exit == 1, $"expected exit 1 (completed with rejects)\n{p}");
            Assert.Contains("retrying", p.Err);
        }

        List<long> rejected = [.. BsonFile.Decode(File.ReadAllBytes(Path.Combine(rejects, "users.rejects.bson"))).Select(d => d["_id"].ToInt64())];
        var twice = rejected.GroupBy(id => id).Where(g => g.Count() > 1).Select(g => g.Key).Order().ToList();
        Assert.True(twice.Count == 0, $"{twice.Count} documents are in the reject file more than once after a retry: _id {string.Join(", ", twice)}");
        Assert.Equal(bad.Order(), rejected.Order());
        Assert.Equal(bad.Count, File.ReadAllLines(Path.Combine(rejects, "users.rejects.log")).Length);

        using NpgsqlConnection conn = TestPg.Open();
        CheckpointState state = CheckpointState.Of(conn, schema);
        Assert.True(state.Finished && state.Documents == users && state.Rejected == bad.Count, $"checkpoints: {state}");
        SchemaCompare.HoldsOnlyCommittedChunks(conn, schema, state, "users");
        Assert.Equal(0L, (long)TestPg.Scalar(conn, $"SELECT count(*) FROM {TestPg.Qualify(schema, "users")} WHERE id % 25 = 0")!);
        Assert.Equal((long)(users - bad.Count), (long)TestPg.Scalar(conn, $"SELECT count(DISTINCT id) FROM {TestPg.Qualify(schema, "users")}")!);
    }

    internal static byte[] Generate(int users, ulong seed)
    {
        using var output = new MemoryStream();
        new SeedUsersGenerator(seed).WriteUsers(output, users);
        return output.ToArray();
    }
}
