using System.IO.Compression;
using EtlFast.Cli;
using MongoDB.Bson;

namespace EtlFast.Core.Tests.Generation;

/// <summary><c>etlfast gen</c> run in process: files, gzip, stdout, and every way it must refuse or clean up.</summary>
public sealed class GenCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("etlfast-gen-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed record Run(int Exit, string Out, string Err, byte[] Stdout);

    private static Run Gen(CancellationToken cancellation, params string[] args)
    {
        var stdout = new MemoryStream();
        var outWriter = new StringWriter();
        var errWriter = new StringWriter();
        int exit = EtlFast.Cli.Cli.Run(["gen", .. args], new CliContext
        {
            Out = outWriter,
            Err = errWriter,
            OpenStdout = () => stdout,
            Cancellation = cancellation,
        });
        return new Run(exit, outWriter.ToString(), errWriter.ToString(), stdout.ToArray());
    }

    private static Run Gen(params string[] args) => Gen(CancellationToken.None, args);

    [Fact]
    public void Writes_a_bson_file_of_exactly_count_users_and_a_summary()
    {
        string path = Path.Combine(_dir, "users.bson");
        Run run = Gen("users", "--count", "250", "-o", path);
        Assert.Equal(0, run.Exit);
        List<BsonDocument> users = GeneratedBson.Decode(File.ReadAllBytes(path));
        Assert.Equal(Enumerable.Range(1, 250), users.Select(u => u["_id"].AsInt32));
        Assert.Equal(GeneratedBson.Users(250), File.ReadAllBytes(path));
        Assert.False(File.Exists(path + ".tmp"));
        Assert.Contains("generated 250 users", run.Err);
        Assert.Contains($"{new FileInfo(path).Length:N0} bytes", run.Err);
    }

    [Fact]
    public void Seed_flag_changes_the_data_and_is_reproducible()
    {
        string a = Path.Combine(_dir, "a.bson");
        string b = Path.Combine(_dir, "b.bson");
        string c = Path.Combine(_dir, "c.bson");
        Assert.Equal(0, Gen("users", "--count=50", "--seed", "9", "-o", a).Exit);
        Assert.Equal(0, Gen("users", "-n", "50", "--seed=9", "--output", b, "-q").Exit);
        Assert.Equal(0, Gen("users", "-n", "50", "-o", c, "-q").Exit);
        Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
        Assert.Equal(GeneratedBson.Users(50, seed: 9), File.ReadAllBytes(a));
        Assert.NotEqual(File.ReadAllBytes(a), File.ReadAllBytes(c));
    }

    [Fact]
    public void Gz_output_decompresses_to_the_same_bytes()
    {
        string plain = Path.Combine(_dir, "u.bson");
        string gz = Path.Combine(_dir, "u.bson.gz");
        Assert.Equal(0, Gen("users", "--count", "400", "-o", plain, "-q").Exit);
        Run run = Gen("users", "--count", "400", "-o", gz);
        Assert.Equal(0, run.Exit);
        Assert.Contains("MB gzip", run.Err);
        using var decompressed = new MemoryStream();
        using (var gzip = new GZipStream(File.OpenRead(gz), CompressionMode.Decompress))
        {
            gzip.CopyTo(decompressed);
        }
        Assert.Equal(File.ReadAllBytes(plain), decompressed.ToArray());
        Assert.True(new FileInfo(gz).Length < new FileInfo(plain).Length);
        Assert.Equal(400, GeneratedBson.Decode(decompressed.ToArray()).Count);
    }

    [Fact]
    public void Dash_writes_to_stdout_and_nothing_else_there()
    {
        Run run = Gen("users", "--count", "30", "-o", "-");
        Assert.Equal(0, run.Exit);
        Assert.Equal(GeneratedBson.Users(30), run.Stdout);
        Assert.Equal("", run.Out);
        Assert.Contains("standard output", run.Err);
    }

    [Fact]
    public void Quiet_prints_nothing()
    {
        Run run = Gen("users", "--count", "5", "-o", Path.Combine(_dir, "q.bson"), "--quiet");
        Assert.Equal(0, run.Exit);
        Assert.Equal("", run.Err);
        Assert.Equal("", run.Out);
    }

    [Fact]
    public void Overwrites_an_existing_file_only_when_complete()
    {
        string path = Path.Combine(_dir, "users.bson");
        File.WriteAllText(path, "old");
        Assert.Equal(0, Gen("users", "--count", "3", "-o", path, "-q").Exit);
        Assert.Equal(3, GeneratedBson.Decode(File.ReadAllBytes(path)).Count);
    }

    [Fact]
    public void Interrupted_run_leaves_neither_the_file_nor_its_tmp()
    {
        string path = Path.Combine(_dir, "users.bson");
        string kept = Path.Combine(_dir, "kept.bson");
        File.WriteAllText(kept, "old");
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        // Cancellation is seen between 1 MiB chunks: 1,000 users make several.
        Run run = Gen(cancelled.Token, "users", "--count", "1000", "-o", path);
        Assert.Equal(ExitCodes.Interrupted, run.Exit);
        Assert.False(File.Exists(path));
        Assert.False(File.Exists(path + ".tmp"));
        Run again = Gen(cancelled.Token, "users", "--count", "1000", "-o", kept);
        Assert.Equal(ExitCodes.Interrupted, again.Exit);
        Assert.Equal("old", File.ReadAllText(kept));
        Assert.False(File.Exists(kept + ".tmp"));
        Assert.Contains("interrupted", again.Err);
    }

    [Fact]
    public void Unwritable_path_exits_4_with_a_clear_message()
    {
        string path = Path.Combine(_dir, "no-such-dir", "users.bson");
        Run run = Gen("users", "--count", "10", "-o", path);
        Assert.Equal(ExitCodes.Data, run.Exit);
        Assert.StartsWith($"etlfast: error: could not create \"{path}.tmp\"", run.Err);
        Assert.Contains("Hint:", run.Err);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void A_directory_as_output_is_a_usage_error()
    {
        Run run = Gen("users", "--count", "10", "-o", _dir);
        Assert.Equal(ExitCodes.Usage, run.Exit);
        Assert.Contains("is a directory", run.Err);
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Theory]
    [InlineData("unknown generator \"orders\"", "orders", "--count", "1", "-o", "x.bson")]
    [InlineData("which generator?", "--count", "1", "-o", "x.bson")]
    [InlineData("--count is required", "users", "-o", "x.bson")]
    [InlineData("-o/--output is required", "users", "--count", "1")]
    [InlineData("--count takes a whole number from 0 to 2147483647, not \"-5\"", "users", "--count", "-5", "-o", "x.bson")]
    [InlineData("--count takes a whole number from 0 to 2147483647, not \"ten\"", "users", "--count", "ten", "-o", "x.bson")]
    [InlineData("--count takes a whole number from 0 to 2147483647, not \"3000000000\"", "users", "--count", "3000000000", "-o", "x.bson")]
    [InlineData("--seed takes a whole number", "users", "--count", "1", "--seed", "x", "-o", "x.bson")]
    [InlineData("--count needs a value", "users", "-o", "x.bson", "--count")]
    [InlineData("unknown option \"--bogus\" for \"etlfast gen\"", "users", "--bogus", "-o", "x.bson")]
    [InlineData("unexpected argument \"extra\"", "users", "extra", "--count", "1", "-o", "x.bson")]
    [InlineData("--quiet takes no value", "users", "--count", "1", "-o", "x.bson", "--quiet=yes")]
    public void Bad_usage_exits_2_and_writes_nothing(string message, params string[] args)
    {
        string previous = Environment.CurrentDirectory;
        Run run = Gen(args);
        Assert.Equal(ExitCodes.Usage, run.Exit);
        Assert.StartsWith("etlfast: error: ", run.Err);
        Assert.Contains(message, run.Err);
        Assert.Empty(run.Stdout);
        Assert.False(File.Exists(Path.Combine(previous, "x.bson")));
    }

    [Fact]
    public void Help_documents_every_flag_with_examples()
    {
        Run run = Gen("--help");
        Assert.Equal(0, run.Exit);
        foreach (string flag in new[] { "-n, --count N", "-o, --output FILE", "--seed S", "-q, --quiet", "-h, --help", ".gz", "\"-\"", "Examples:", "etlfast gen users --count" })
        {
            Assert.Contains(flag, run.Out);
        }
        Assert.Equal(run.Out, Gen("users", "-h").Out);
        var viaHelp = new StringWriter();
        Assert.Equal(0, EtlFast.Cli.Cli.Run(["help", "gen"], new CliContext { Out = viaHelp, Err = new StringWriter() }));
        Assert.Equal(run.Out, viaHelp.ToString());
    }
}
