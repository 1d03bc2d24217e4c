using System.Collections.Concurrent;
using EtlFast.Core.Generation;
using EtlFast.Core.Tests.TestSupport;
using MongoDB.Bson;
using Npgsql;

namespace EtlFast.Core.Tests.Load;

/// <summary>
/// Seed users generated once per (count, seed) for the whole test run: the .bson file, its documents
/// decoded by MongoDB.Bson, and the 15 tables <see cref="SeedOracle"/> computes from them.
/// </summary>
internal sealed class SeedData
{
    public const int Users = 2000;
    public const ulong Seed = 20250101;

    private static readonly ConcurrentDictionary<(int, ulong), Lazy<SeedData>> Cache = new();
    private static readonly Lazy<string> Folder = new(() =>
    {
        string dir = Directory.CreateTempSubdirectory("etlfast-seed-").FullName;
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

    private readonly Lazy<List<ExpectedTable>> _tables;

    private SeedData(int count, ulong seed)
    {
        using var output = new MemoryStream();
        new SeedUsersGenerator(seed).WriteUsers(output, count);
        Bytes = output.ToArray();
        BsonPath = Path.Combine(Folder.Value, $"users-{count}-{seed}.bson");
        File.WriteAllBytes(BsonPath, Bytes);
        Documents = BsonFile.Decode(Bytes);
        _tables = new(() => SeedOracle.Compute(Documents));
    }

    public static string Mapping => RepoRoot.File("examples", "seed-users.json");

    public static SeedData Get(int count = Users, ulong seed = Seed)
        => Cache.GetOrAdd((count, seed), k => new Lazy<SeedData>(() => new SeedData(k.Item1, k.Item2))).Value;

    public byte[] Bytes { get; }

    /// <summary>The generated users as a mongodump .bson file (shared: never modify it).</summary>
    public string BsonPath { get; }

    public List<BsonDocument> Documents { get; }

    /// <summary>The expected 15 tables (shared: never modify them).</summary>
    public List<ExpectedTable> Tables => _tables.Value;

    /// <summary>Every table of the schema equals the oracle's, all columns NOT NULL, with the 15 keys and 14 foreign keys.</summary>
    public static void AssertLoaded(NpgsqlConnection conn, string schema, IReadOnlyList<ExpectedTable> tables)
    {
        Assert.Equal(SeedOracle.TableNames.Order(StringComparer.Ordinal), PgTable.Tables(conn, schema));
        foreach (ExpectedTable t in tables)
        {
            TableAssert.Matches(conn, schema, t);
        }
        Assert.Equal(SeedOracle.Keys, PgConstraints.Keys(conn, schema));
    }

    /// <summary>The oracle's tables for a subset of the users (by _id).</summary>
    public static List<ExpectedTable> TablesOf(IEnumerable<BsonDocument> users) => SeedOracle.Compute(users);
}
