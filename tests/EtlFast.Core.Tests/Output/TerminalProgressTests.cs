using EtlFast.Cli;
using EtlFast.Core.Tests.Faults;
using EtlFast.Core.Tests.TestSupport;

namespace EtlFast.Core.Tests.Output;

/// <summary>On a terminal, progress is redrawn in place: counts, MB/s, how much of the file is done with an ETA, and rows per table.</summary>
public sealed class TerminalProgressTests : IDisposable
{
    private readonly FaultScope _scope = new();

    public void Dispose() => _scope.Dispose();

    [Fact]
    public void Redraws_counts_eta_and_rows_per_table_then_clears_for_the_summary()
    {
        var file = new ThingsFile();
        for (int i = 1; i <= 60; i++)
        {
            file.AddGood(i, 100_000);
        }
        string schema = _scope.NewSchema("tty");
        var stderr = new StringWriter();
        var ctx = new CliContext { Out = new StringWriter(), Err = stderr, ErrIsTerminal = true, GetEnv = _ => null };
        int exit = EtlFast.Cli.Cli.Run(["load", "--from", file.Write(_scope.Dir), "-m", ThingsFile.WriteMapping(_scope.Dir),
            "--to", TestPg.ConnectionString, "--schema", schema, "--chunk-size", "1", "-j", "1", "--progress-interval", "0.05"], ctx);
        string err = stderr.ToString();

        Assert.True(exit == 0, err);
        // A drawn block: the headline, then a line of per-table rows; erased with cursor-up and clear-to-end.
        Assert.Matches(@"\d+ documents, [\d,]+ rows, [\d.]+ MB \([\d,]+ rows/s, [\d.]+ MB/s\) \d+s, \d+% done, ETA \d+:\d\d\n  things [1-9][\d,]*  tags [1-9][\d,]*", err);
        Assert.Contains("\r\u001b[1A\u001b[J", err, StringComparison.Ordinal);
        Assert.Matches(@"\nthings +60 ", err); // the summary table follows
    }
}
