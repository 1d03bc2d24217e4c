using EtlFast.Core.Generation;
using EtlFast.Core.Tests.TestSupport;
using MongoDB.Bson;
using Npgsql;

namespace EtlFast.Core.Tests.Faults;

/// <summary>
/// Seed users where every 25th has a string age: a type mismatch for the integer column of
/// examples/seed-users.json, so --on-error reject rejects a document in every chunk. For tests where a
/// chunk runs twice (a retry, a resume) and must not record its rejects twice.
/// </summary>
internal sealed class RejectSeed
{
    public const int Users = 1000;

    private RejectSeed(string path, HashSet<long> bad)
    {
        BsonPath = path;
        Bad = bad;
    }

    public string BsonPath { get; }

    public HashSet<long> Bad { get; }

    public static RejectSeed Write(ScratchDir dir)
    {
        List<BsonDocument> docs = BsonFile.Decode(Generate(Users, 99));
        var bad = new HashSet<long>();
        foreach (BsonDocument d in docs)
        {
            if (d["_id"].ToInt64() % 25 == 0)
            {
                d["age"] = "forty";
                bad.Add(d["_id"].ToInt64());
            }
        }
        return new RejectSeed(dir.Write("users-with-rejects.bson", BsonFile.Encode(docs)), bad);
    }

    public static byte[] Generate(int users, ulong seed)
    {
        using var output = new MemoryStream();
        new SeedUsersGenerator(seed).WriteUsers(output, users);
        return output.ToArray();
    }

    /// <summary>The reject file holds each bad document once and no other; the tables every other user; the checkpoints agree.</summary>
    public void AssertOutcome(string rejectDir, string schema)
    {
        List<long> rejected = RejectTests.RejectedIds(File.ReadAllBytes(Path.Combine(rejectDir, "users.rejects.bson")));
        var twice = rejected.GroupBy(id => id).Where(g => g.Count() > 1).Select(g => g.Key).Order().ToList();
        Assert.True(twice.Count == 0, $"{twice.Count} documents are in the reject file more than once: _id {string.Join(", ", twice)}");
        var missing = Bad.Except(rejected).Order().ToList();
        Assert.True(missing.Count == 0,
            $"{missing.Count} rejected documents are missing from the reject file (their chunks committed, so no later run meets them again): _id {string.Join(", ", missing)}");
        Assert.Equal(Bad.Order(), rejected.Order());
        Assert.Equal(Bad.Count, File.ReadAllLines(Path.Combine(rejectDir, "users.rejects.log")).Length);

        using NpgsqlConnection conn = TestPg.Open();
        CheckpointState state = CheckpointState.Of(conn, schema);
        Assert.True(state.Finished && state.Documents == Users && state.Rejected == Bad.Count, $"checkpoints: {state}");
        SchemaCompare.HoldsOnlyCommittedChunks(conn, schema, state, "users");
        Assert.Equal(0L, (long)TestPg.Scalar(conn, $"SELECT count(*) FROM {TestPg.Qualify(schema, "users")} WHERE id % 25 = 0")!);
        Assert.Equal((long)(Users - Bad.Count), (long)TestPg.Scalar(conn, $"SELECT count(DISTINCT id) FROM {TestPg.Qualify(schema, "users")}")!);
    }

    public string RunId(string schema) => FaultSeed.RunId(BsonPath, schema);

    public string[] ProcessArgs(string schema, string appName, string rejectDir) =>
        ["load", "--from", BsonPath, "-m", FaultSeed.Mapping, "--to", FaultScope.Target(appName), "--schema", schema, .. FaultSeed.LoadFlags,
         "--on-error", "reject", "--reject-dir", rejectDir];
}
