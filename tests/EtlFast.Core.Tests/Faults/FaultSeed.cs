using System.Collections.Concurrent;
using EtlFast.Core.Generation;
using EtlFast.Core.Tests.TestSupport;
using Npgsql;

namespace EtlFast.Core.Tests.Faults;

/// <summary>
/// Seed users for the fault tests, generated once per (count, seed) for the whole run, with a
/// reference: the same file loaded once, uninterrupted, into a schema of its own, against which every
/// interrupted and resumed load is compared table by table. Shared: never modify the file or the schema.
/// </summary>
internal sealed class FaultSeed
{
    /// <summary>About 11 chunks of 1 MiB: room for kill points between chunks, small enough for 2 cores.</summary>
    public const int Users = 2000;
    public const ulong Seed = 7331;

    /// <summary>The flags every load of a fault test uses (also part of the run identity: --chunk-size).</summary>
    public static readonly string[] LoadFlags = ["--chunk-size", "1", "-j", "2"];

    private static readonly ConcurrentDictionary<(int, ulong), Lazy<FaultSeed>> Cache = new();
    private static readonly Lazy<string> Folder = new(() =>
    {
        string dir = Directory.CreateTempSubdirectory("etlfast-faultseed-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        };
        return dir;
    });

    private readonly Lazy<(string Schema, CheckpointState State)> _reference;

    private FaultSeed(int count, ulong seed)
    {
        Count = count;
        using var output = new MemoryStream();
        new SeedUsersGenerator(seed).WriteUsers(output, count);
        Bytes = output.ToArray();
        BsonPath = Path.Combine(Folder.Value, $"users-{count}-{seed}.bson");
        File.WriteAllBytes(BsonPath, Bytes);
        _reference = new(LoadReference);
    }

    public static string Mapping => RepoRoot.File("examples", "seed-users.json");

    public static FaultSeed Get(int count = Users, ulong seed = Seed)
        => Cache.GetOrAdd((count, seed), k => new Lazy<FaultSeed>(() => new FaultSeed(k.Item1, k.Item2))).Value;

    public int Count { get; }

    public byte[] Bytes { get; }

    public string BsonPath { get; }

    /// <summary>The schema holding the uninterrupted load.</summary>
    public string ReferenceSchema => _reference.Value.Schema;

    /// <summary>How many chunks the uninterrupted load cut (with <see cref="LoadFlags"/>).</summary>
    public long Chunks => _reference.Value.State.Chunks;

    /// <summary><c>load</c> arguments for the real process, with an application name to find its connections by.</summary>
    public string[] ProcessArgs(string schema, string appName, params string[] extra) =>
        ["load", "--from", BsonPath, "-m", Mapping, "--to", FaultScope.Target(appName), "--schema", schema, .. LoadFlags, .. extra];

    /// <summary>The checkpoint run id etlfast gives a load of <paramref name="bsonPath"/> with <see cref="Mapping"/> and <see cref="LoadFlags"/> into <paramref name="schema"/>.</summary>
    public static string RunId(string bsonPath, string schema) => CheckpointHold.RunIdOf(bsonPath, Mapping, schema);

    public string RunId(string schema) => RunId(BsonPath, schema);

    /// <summary>The same load in process (same run identity: source, mapping, schema and chunk size).</summary>
    public CliResult LoadInProcess(string schema, params string[] extra) => Etlfast.Load(BsonPath, Mapping, schema, [.. LoadFlags, .. extra]);

    private (string, CheckpointState) LoadReference()
    {
        string schema = TestPg.UniqueSchema($"fault_ref_{Count}");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => FaultScope.DropWithRuns(schema);
        LoadInProcess(schema, "-q").Ok();
        using NpgsqlConnection conn = TestPg.Open();
        CheckpointState state = CheckpointState.Of(conn, schema);
        Assert.True(state.Finished && state.Documents == Count, $"the reference load of {Count} users: {state}");
        Assert.Equal((long)Count, PgTable.Count(conn, schema, "users"));
        Assert.Equal((long)Count, (long)TestPg.Scalar(conn, $"SELECT count(DISTINCT id) FROM {TestPg.Qualify(schema, "users")}")!);
        // The holds of the fault tests find a load's checkpoints by this id: it must be the loader's.
        Assert.Equal(RunId(schema), TestPg.Scalar(conn, "SELECT run_id FROM etlfast.runs WHERE target_schema = $1", schema));
        Assert.Equal(Enumerable.Range(0, (int)state.Chunks).Select(i => (long)i), state.ChunkIndexes);
        Assert.True(state.Chunks >= 4, $"the fault tests need several chunks; the reference load cut {state.Chunks}");
        return (schema, state);
    }
}
