using System.Text;
using EtlFast.Cli;
using EtlFast.Core.Mapping;
using EtlFast.Core.Plan;
using EtlFast.Core.Sources;
using EtlFast.Core.Tests.Faults;

namespace EtlFast.Core.Tests.Output;

/// <summary>
/// On a terminal, progress is redrawn in place: counts, MB/s, how much of the file is done with an ETA,
/// and the rows of each table; a phase line erases the block first. Driven tick by tick (no timer), so
/// what is drawn does not depend on how busy the machine is.
/// </summary>
public sealed class TerminalProgressTests
{
    private static LoadPlan Plan() => PlanCompiler.Compile(MappingParser.Parse(Encoding.UTF8.GetBytes(ThingsData.MappingJson), "things.json"), null);

    private static (Progress Progress, StringWriter Err) Terminal()
    {
        var err = new StringWriter();
        var ctx = new CliContext { Out = new StringWriter(), Err = err, ErrIsTerminal = true, GetEnv = _ => null };
        return (new Progress(ctx, ProgressMode.Auto, TimeSpan.FromHours(1), Plan()), err);
    }

    [Fact]
    public void Redraws_counts_eta_and_rows_per_table_in_place()
    {
        (Progress progress, StringWriter err) = Terminal();
        using (progress)
        {
            progress.SourceOpened("things.bson", new ReadMeter(4_000_000, compressed: false));
            Thread.Sleep(20);
            progress.ChunkCommitted(10, 30, 1_000_000, [10, 20]);
            progress.Draw();
            progress.ChunkCommitted(10, 30, 1_000_000, [10, 20]);
            progress.Draw();
            progress.Phase("building primary keys (2)");
            progress.Finish();
        }
        string text = err.ToString();

        string Block(int docs, int rows, int percent, int things, int tags) =>
            $@"{percent}% done, ETA \d+:\d\d: {docs} documents, {rows} rows, [\d.]+ MB \([\d,]+ rows/s, [\d.]+ MB/s\) \d+s\n  things {things}  tags {tags}";
        Assert.Matches($@"^{Block(10, 30, 25, 10, 20)}\r\u001b\[1A\u001b\[J{Block(20, 60, 50, 20, 40)}\r\u001b\[1A\u001b\[Jetlfast: building primary keys \(2\)\n$", text);
    }

    [Fact]
    public void A_gzip_source_is_measured_by_its_compressed_position()
    {
        (Progress progress, StringWriter err) = Terminal();
        var meter = new ReadMeter(1_000_000, compressed: true);
        using (progress)
        {
            progress.SourceOpened("things.bson.gz", meter);
            meter.Add(500_000);   // half the compressed file read ...
            meter.Cut(2_000_000); // ... gave 2 MB of BSON: a ratio of 1 to 4
            Thread.Sleep(20);
            progress.ChunkCommitted(10, 30, 1_000_000, [10, 20]); // 1 MB of BSON committed: a quarter of the file
            progress.Draw();
            progress.Finish();
        }
        Assert.Matches(@"^25% done, ETA \d+:\d\d: 10 documents, 30 rows, .*\n  things 10  tags 20\r\u001b\[1A\u001b\[J$", err.ToString());
    }

    [Fact]
    public void Plain_lines_when_stderr_is_not_a_terminal()
    {
        var err = new StringWriter();
        var ctx = new CliContext { Out = new StringWriter(), Err = err, ErrIsTerminal = false, GetEnv = _ => null };
        using (var progress = new Progress(ctx, ProgressMode.Auto, TimeSpan.FromHours(1), Plan()))
        {
            progress.ChunkCommitted(10, 30, 1_000_000, [10, 20]);
            progress.Draw();
            progress.Finish();
        }
        Assert.Matches(@"^etlfast: 10 documents, 30 rows, 1\.0 MB \([\d,]+ rows/s, [\d.]+ MB/s\) \d+s\n$", err.ToString());
    }
}
