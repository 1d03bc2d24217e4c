using EtlFast.Cli;

namespace EtlFast.Core.Tests.TestSupport;

/// <summary>What one in-process run of the CLI gave back.</summary>
internal sealed record CliResult(int Exit, string Out, string Err, string[] Args)
{
    /// <summary>For assertion messages: the command line and everything it printed.</summary>
    public override string ToString() => $"etlfast {string.Join(' ', Args)}\nexit {Exit}\n--- stdout\n{Out}\n--- stderr\n{Err}";

    /// <summary>The number the summary gives in "N chunks" (stderr), or -1 when it printed none.</summary>
    public int Chunks
    {
        get
        {
            var m = System.Text.RegularExpressions.Regex.Match(Err, @"([\d,]+) chunks");
            return m.Success ? int.Parse(m.Groups[1].Value.Replace(",", "", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture) : -1;
        }
    }
}

/// <summary>Runs <c>etlfast</c> in process through <see cref="Cli.Run(string[], CliContext)"/>.</summary>
internal static class Etlfast
{
    /// <summary>Any command line; <paramref name="stdin"/> backs <c>--from -</c>; <paramref name="env"/> the only environment variables it sees.</summary>
    public static CliResult Run(string[] args, Func<Stream>? stdin = null, IReadOnlyDictionary<string, string>? env = null)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var ctx = new CliContext
        {
            Out = stdout,
            Err = stderr,
            OpenStdin = stdin ?? (() => throw new InvalidOperationException("this test gives the CLI no standard input")),
            OpenStdout = () => throw new InvalidOperationException("this test gives the CLI no binary standard output"),
            // Only the variables a test means to give: the runner's own PG* settings must not leak in.
            GetEnv = name => env is not null && env.TryGetValue(name, out string? value) ? value : null,
        };
        int exit = EtlFast.Cli.Cli.Run(args, ctx);
        return new CliResult(exit, stdout.ToString(), stderr.ToString(), args);
    }

    /// <summary>
    /// <c>etlfast load --from FROM -m MAPPING --to $ETLFAST_TEST_PG --schema SCHEMA extra...</c>. Reject
    /// files go to a fresh temporary folder unless <paramref name="extra"/> names one, so that parallel
    /// tests never write them into the working directory or into each other's.
    /// </summary>
    public static CliResult Load(string from, string mapping, string schema, params string[] extra)
        => Run(["load", "--from", from, "-m", mapping, "--to", TestPg.ConnectionString, "--schema", schema, .. WithRejectDir(extra)]);

    /// <summary>Like <see cref="Load(string, string, string, string[])"/>, reading the BSON from standard input.</summary>
    public static CliResult LoadStdin(Func<Stream> stdin, string mapping, string schema, params string[] extra)
        => Run(["load", "--from", "-", "-m", mapping, "--to", TestPg.ConnectionString, "--schema", schema, .. WithRejectDir(extra)], stdin);

    private static readonly Lazy<string> RejectRoot = new(() =>
    {
        string dir = Directory.CreateTempSubdirectory("etlfast-rejects-").FullName;
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

    private static string[] WithRejectDir(string[] extra)
        => extra.Contains("--reject-dir") ? extra : [.. extra, "--reject-dir", Path.Combine(RejectRoot.Value, Guid.NewGuid().ToString("N"))];

    /// <summary>Asserts a successful run (exit 0), showing the whole output when it is not.</summary>
    public static CliResult Ok(this CliResult r)
    {
        Assert.True(r.Exit == 0, $"expected exit 0\n{r}");
        return r;
    }

    /// <summary>Asserts the exit code and that stderr holds every phrase, showing the whole output when not.</summary>
    public static CliResult Fails(this CliResult r, int exit, params string[] phrases)
    {
        Assert.True(r.Exit == exit, $"expected exit {exit}\n{r}");
        foreach (string p in phrases)
        {
            Assert.True(r.Err.Contains(p, StringComparison.Ordinal), $"expected stderr to contain «{p}»\n{r}");
        }
        return r;
    }
}
