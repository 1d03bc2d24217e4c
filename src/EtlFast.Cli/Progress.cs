using EtlFast.Core.Load;
using EtlFast.Core.Plan;
using EtlFast.Core.Sources;

namespace EtlFast.Cli;

/// <summary>
/// Progress on stderr, as <see cref="ProgressMode"/> says: redrawn in place on a terminal (with the
/// rows of each table), a plain line per interval otherwise, or one JSON object per line. Fed once per
/// committed chunk, from worker threads; drawn by a timer of the <see cref="TimeProvider"/> (the system's,
/// or a test's fake clock, which then decides every tick and every elapsed second).
/// </summary>
internal sealed partial class Progress : ILoadObserver, IDisposable
{
    private readonly CliContext _ctx;
    private readonly ProgressMode _mode;
    private readonly string[] _tables;
    private readonly long[] _tableRows;
    private readonly TimeProvider _time;
    private readonly long _started;
    private readonly ITimer? _timer;
    private readonly object _gate = new();
    private long _documents;
    private long _rows;
    private long _bytes;
    private ReadMeter? _meter;
    private double _loadingSince = -1;
    private int _drawnLines;
    private bool _stopped; // no more periodic reports: a timer callback already queued must not draw again
    private bool _ended;

    /// <param name="interval">Between two reports; null: half a second on a terminal, ten seconds otherwise.</param>
    /// <param name="time">The clock of the reports and rates; null: the system's.</param>
    public Progress(CliContext ctx, ProgressMode mode, TimeSpan? interval, LoadPlan plan, TimeProvider? time = null)
    {
        _ctx = ctx;
        _time = time ?? TimeProvider.System;
        _started = _time.GetTimestamp();
        _mode = mode == ProgressMode.Auto && !ctx.ErrIsTerminal ? ProgressMode.Plain : mode;
        _tables = [.. plan.Tables.Select(t => t.Name)];
        _tableRows = new long[_tables.Length];
        if (_mode != ProgressMode.None)
        {
            TimeSpan period = interval ?? (Redraws ? TimeSpan.FromMilliseconds(500) : TimeSpan.FromSeconds(10));
            _timer = _time.CreateTimer(_ => Draw(), null, period, period);
        }
    }

    /// <summary>True when the report is redrawn in place (auto on a terminal).</summary>
    private bool Redraws => _mode == ProgressMode.Auto;

    private double Elapsed => _time.GetElapsedTime(_started).TotalSeconds;

    public void ChunkCommitted(long documents, long rows, long bsonBytes, ReadOnlySpan<long> tableRows)
    {
        Interlocked.Add(ref _documents, documents);
        Interlocked.Add(ref _rows, rows);
        Interlocked.Add(ref _bytes, bsonBytes);
        for (int t = 0; t < tableRows.Length && t < _tableRows.Length; t++)
        {
            Interlocked.Add(ref _tableRows[t], tableRows[t]);
        }
    }

    public void SourceOpened(string displayName, ReadMeter? meter)
    {
        _meter = meter;
        Volatile.Write(ref _loadingSince, Elapsed);
    }

    public void Phase(string what)
    {
        if (_mode == ProgressMode.None)
        {
            return;
        }
        lock (_gate)
        {
            if (_ended)
            {
                return;
            }
            if (_mode == ProgressMode.Json)
            {
                WriteJsonLine(Snapshot(), "phase", what);
                return;
            }
            Erase();
            _ctx.Err.WriteLine($"etlfast: {what}");
        }
    }

    /// <summary>Stops the periodic reports and clears a redrawn block (before the summary or an error is printed).</summary>
    public void Finish()
    {
        _timer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        lock (_gate)
        {
            _stopped = true;
            Erase();
        }
    }

    /// <summary>With --progress json, the last line: the committed counts and how the load ended.</summary>
    public void End(LoadOutcome outcome)
    {
        Finish();
        lock (_gate)
        {
            if (_mode == ProgressMode.Json && !_ended)
            {
                WriteEndLine(outcome);
            }
            _ended = true;
        }
    }

    /// <summary>The counts now, and the ETA when the source's size is known.</summary>
    private Counts Snapshot()
    {
        double s = Math.Max(Elapsed, 1e-3);
        long[] tables = new long[_tableRows.Length];
        for (int t = 0; t < tables.Length; t++)
        {
            tables[t] = Interlocked.Read(ref _tableRows[t]);
        }
        ReadMeter? meter = _meter;
        long bytes = Interlocked.Read(ref _bytes);
        return new Counts(s, Interlocked.Read(ref _documents), Interlocked.Read(ref _rows), bytes,
            tables, meter?.BytesRead, meter?.InputBytesFor(bytes), meter?.TotalBytes, Eta(meter));
    }

    /// <summary>
    /// Seconds left: the committed BSON, in bytes of the input (compressed bytes for .gz, by the ratio seen
    /// so far), against the input's size, at the rate committed since loading started. Committed rather
    /// than read, because the reader runs ahead of the workers. Null for standard input and live sources,
    /// and before the first commit.
    /// </summary>
    private double? Eta(ReadMeter? meter)
    {
        double since = Volatile.Read(ref _loadingSince);
        if (meter?.TotalBytes is not long total || since < 0)
        {
            return null;
        }
        long done = meter.InputBytesFor(Interlocked.Read(ref _bytes));
        double seconds = Elapsed - since;
        if (done <= 0 || seconds <= 0)
        {
            return null;
        }
        return Math.Max(0, total - done) / (done / seconds);
    }

    /// <summary>One periodic report: the timer's tick.</summary>
    private void Draw()
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }
            Counts c = Snapshot();
            switch (_mode)
            {
                case ProgressMode.Json:
                    WriteJsonLine(c, "progress", null);
                    break;
                case ProgressMode.Plain:
                    _ctx.Err.WriteLine("etlfast: " + Headline(c));
                    break;
                default:
                    Redraw(c);
                    break;
            }
            _ctx.Err.Flush();
        }
    }

    /// <summary>
    /// The progress line. How far along and the ETA come first, so that a narrow terminal, which cuts
    /// the line at its width, cuts the rates rather than the answer to "how long still".
    /// </summary>
    private static string Headline(Counts c)
    {
        string counts = $"{c.Documents:N0} documents, {c.Rows:N0} rows, {c.Bytes / 1048576.0:N1} MB ({c.Rows / c.Seconds:N0} rows/s, {c.Bytes / 1048576.0 / c.Seconds:N1} MB/s) {c.Seconds:N0}s";
        if (c.SourceTotal is long total && total > 0 && c.SourceDone is long done)
        {
            string share = $"{Math.Min(100, 100.0 * done / total):N0}% done";
            return c.Eta is double eta ? $"{share}, ETA {FormatSeconds(eta)}: {counts}" : $"{share}: {counts}";
        }
        return counts;
    }

    private static string FormatSeconds(double seconds)
    {
        var t = TimeSpan.FromSeconds(Math.Round(seconds));
        return t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}" : $"{t.Minutes}:{t.Seconds:00}";
    }

    public void Dispose() => _timer?.Dispose();

    /// <summary>One reading of the counters.</summary>
    /// <param name="SourceRead">Bytes of the input read (ahead of the commits).</param>
    /// <param name="SourceDone">Bytes of the input whose documents are committed (estimated for .gz).</param>
    private sealed record Counts(double Seconds, long Documents, long Rows, long Bytes, long[] TableRows, long? SourceRead, long? SourceDone, long? SourceTotal, double? Eta);
}
