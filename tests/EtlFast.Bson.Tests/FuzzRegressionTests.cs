using EtlFast.Fuzz;
using MongoDB.Bson;

namespace EtlFast.Bson.Tests;

/// <summary>
/// Replays FuzzRegressions/TARGET/*.bin through the AFL++ targets of tests/EtlFast.Fuzz: every crash or
/// hang scripts/fuzz.sh ever found is kept there, with a few inputs that opened new paths. Each must be
/// accepted, or refused with the library's own exception (BsonException, MappingException) at a
/// position inside it; any other exception or broken invariant fails the test.
/// </summary>
public sealed class FuzzRegressionTests
{
    private static readonly string Root = Path.Combine(AppContext.BaseDirectory, "FuzzRegressions");

    public static TheoryData<string, string> Cases()
    {
        var cases = new TheoryData<string, string>();
        foreach (string target in FuzzTargets.Names)
        {
            string dir = Path.Combine(Root, target);
            foreach (string file in (Directory.Exists(dir) ? Directory.GetFiles(dir, "*.bin") : []).Order(StringComparer.Ordinal))
            {
                cases.Add(target, Path.GetFileName(file));
            }
        }
        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Kept_fuzz_input_is_accepted_or_refused_with_the_library_exception(string target, string file)
    {
        byte[] input = File.ReadAllBytes(Path.Combine(Root, target, file));
        Exception? crash = Record.Exception(() => FuzzTargets.Run(target, input));
        Assert.True(crash is null, $"{target}/{file}: {crash?.GetType().Name}: {crash?.Message}\n{crash?.StackTrace}");
    }

    [Fact]
    public void Targets_accept_valid_input_and_refuse_malformed_input_without_crashing()
    {
        byte[] doc = new BsonDocument { { "a", 1 }, { "b", new BsonArray { "x", 2.5 } } }.ToBson();
        Assert.True(FuzzTargets.Run("reader", doc));
        Assert.True(FuzzTargets.Run("framer", [.. doc, .. doc]));
        Assert.False(FuzzTargets.Run("reader", doc[..^1]));
        Assert.False(FuzzTargets.Run("framer", [.. doc, .. doc[..7]])); // the stream ends inside a document
        byte[] mapping = File.ReadAllBytes(Path.Combine(RepoRoot(), "examples", "seed-users.json"));
        Assert.True(FuzzTargets.Run("mapping", mapping));
        Assert.False(FuzzTargets.Run("mapping", mapping[..(mapping.Length / 2)]));
        Assert.Throws<ArgumentException>(() => FuzzTargets.Run("nothing", doc));
    }

    private static string RepoRoot()
    {
        string dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "EtlFast.sln")))
        {
            dir = Path.GetDirectoryName(dir) ?? throw new InvalidOperationException("no EtlFast.sln above the test binaries");
        }
        return dir;
    }

    [Fact]
    public void Every_target_has_kept_inputs_to_replay()
    {
        foreach (string target in FuzzTargets.Names)
        {
            Assert.NotEmpty(Directory.GetFiles(Path.Combine(Root, target), "*.bin"));
        }
    }
}
