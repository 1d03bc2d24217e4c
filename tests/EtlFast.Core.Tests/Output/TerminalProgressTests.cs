using System.Text;
using EtlFast.Cli;
using EtlFast.Core.Mapping;
using EtlFast.Core.Plan;
using EtlFast.Core.Sources;
using EtlFast.Core.Tests.Faults;
using Microsoft.Extensions.Time.Testing;

namespace EtlFast.Core.Tests.Output;

/// <summary>
/// On a terminal, progress is redrawn in place: counts, MB/s, how much of the file is done with an ETA,
/// and the rows of each table; a phase line erases the block first. The clock is a fake one that the
/// test moves: it fires the redraw timer and decides every elapsed second, so what is drawn, and when,
/// does not depend on how busy the machine is.
/// </summary>
public sealed class TerminalProgressTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private static LoadPlan Plan() => PlanCompiler.Compile(MappingParser.Parse(Encoding.UTF8.GetBytes(ThingsData.MappingJson), "things.json"), null);

    private static (Progress Progress, StringWriter Err, FakeTimeProvider Time) Start(bool terminal, TimeSpan? interval)
    {
        var err = new StringWriter();
        var time = new FakeTimeProvider();
        var ctx = new CliContext { Out = new StringWriter(), Err = err, ErrIsTerminal = terminal, GetEnv = _ => null };
        return (new Progress(ctx, ProgressMode.Auto, interval, Plan(), time), err, time);
    }

    [Fact]
    public void Redraws_counts_eta_and_rows_per_table_in_place_once_per_interval()
    {
        (Progress progress, StringWriter err, FakeTimeProvider time) = Start(terminal: true, Interval);
        using (progress)
        {
            progress.SourceOpened("things.bson", new ReadMeter(4_000_000, compressed: false));
            progress.ChunkCommitted(10, 30, 1_000_000, [10, 20]);
            time.Advance(Interval - TimeSpan.FromMilliseconds(1));
            Assert.Equal("", err.ToString()); // not before the interval
            time.Advance(TimeSpan.FromMilliseconds(1));
            progress.ChunkCommitted(10, 30, 1_000_000, [10, 20]);
            time.Advance(Interval);
            progress.Phase("building primary keys (2)");
            progress.Finish();
            time.Advance(Interval * 5); // finished: no more redraws
        }

        // A quarter of the file in 1 s: 3 s to go; half of it in 2 s: 2 s to go.
        const string First = "25% done, ETA 0:03: 10 documents, 30 rows, 1.0 MB (30 rows/s, 1.0 MB/s) 1s\n  things 10  tags 20";
        const string Second = "50% done, ETA 0:02: 20 documents, 60 rows, 1.9 MB (30 rows/s, 1.0 MB/s) 2s\n  things 20  tags 40";
        Assert.Equal($"{First}\r\u001b[1A\u001b[J{Second}\r\u001b[1A\u001b[Jetlfast: building primary keys (2)\n", err.ToString());
    }

    [Fact]
    public void A_gzip_source_is_measured_by_its_compressed_position()
    {
        (Progress progress, StringWriter err, FakeTimeProvider time) = Start(terminal: true, Interval);
        var meter = new ReadMeter(1_000_000, compressed: true);
        using (progress)
        {
            progress.SourceOpened("things.bson.gz", meter);
            meter.Add(500_000);   // half the compressed file read ...
            meter.Cut(2_000_000); // ... gave 2 MB of BSON: a ratio of 1 to 4
            progress.ChunkCommitted(10, 30, 1_000_000, [10, 20]); // 1 MB of BSON committed: a quarter of the file
            time.Advance(Interval);
            progress.Finish();
        }
        Assert.Equal("25% done, ETA 0:03: 10 documents, 30 rows, 1.0 MB (30 rows/s, 1.0 MB/s) 1s\n  things 10  tags 20\r\u001b[1A\u001b[J", err.ToString());
    }

    [Fact]
    public void Plain_lines_every_ten_seconds_when_stderr_is_not_a_terminal()
    {
        (Progress progress, StringWriter err, FakeTimeProvider time) = Start(terminal: false, interval: null);
        using (progress)
        {
            progress.ChunkCommitted(10, 30, 1_000_000, [10, 20]);
            time.Advance(TimeSpan.FromSeconds(9.999));
            Assert.Equal("", err.ToString());
            time.Advance(TimeSpan.FromMilliseconds(1));
            progress.Finish();
        }
        Assert.Equal("etlfast: 10 documents, 30 rows, 1.0 MB (3 rows/s, 0.1 MB/s) 10s\n", err.ToString());
    }
}
