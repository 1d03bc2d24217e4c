using System.Diagnostics;
using EtlFast.Core.Load;

namespace EtlFast.Cli;

/// <summary>
/// Progress on stderr: redrawn in place on a terminal, a plain line every few seconds otherwise,
/// nothing with --quiet. Fed once per committed chunk, from worker threads.
/// </summary>
internal sealed class Progress : ILoadObserver, IDisposable
{
    private readonly CliContext _ctx;
    private readonly bool _quiet;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Timer? _timer;
    private readonly object _gate = new();
    private long _documents;
    private long _rows;
    private long _bytes;
    private bool _drawn;

    public Progress(CliContext ctx, bool quiet)
    {
        _ctx = ctx;
        _quiet = quiet;
        if (!quiet)
        {
            TimeSpan period = ctx.ErrIsTerminal ? TimeSpan.FromMilliseconds(500) : TimeSpan.FromSeconds(10);
            _timer = new Timer(_ => Draw(), null, period, period);
        }
    }

    public void ChunkCommitted(long documents, long rows, long bsonBytes)
    {
        Interlocked.Add(ref _documents, documents);
        Interlocked.Add(ref _rows, rows);
        Interlocked.Add(ref _bytes, bsonBytes);
    }

    public void Phase(string what)
    {
        if (_quiet)
        {
            return;
        }
        lock (_gate)
        {
            ClearLine();
            _ctx.Err.WriteLine($"etlfast: {what}");
        }
    }

    private void Draw()
    {
        lock (_gate)
        {
            double s = Math.Max(_clock.Elapsed.TotalSeconds, 1e-3);
            long docs = Interlocked.Read(ref _documents), rows = Interlocked.Read(ref _rows), bytes = Interlocked.Read(ref _bytes);
            string line = $"{docs:N0} documents, {rows:N0} rows, {bytes / 1048576.0:N1} MB ({rows / s:N0} rows/s, {bytes / 1048576.0 / s:N1} MB/s) {s:N0}s";
            if (_ctx.ErrIsTerminal)
            {
                _ctx.Err.Write("\r\u001b[K" + line);
                _drawn = true;
            }
            else
            {
                _ctx.Err.WriteLine("etlfast: " + line);
            }
            _ctx.Err.Flush();
        }
    }

    private void ClearLine()
    {
        if (_drawn)
        {
            _ctx.Err.Write("\r\u001b[K");
            _drawn = false;
        }
    }

    public void Finish()
    {
        _timer?.Change(Timeout.Infinite, Timeout.Infinite);
        lock (_gate)
        {
            ClearLine();
        }
    }

    public void Dispose() => _timer?.Dispose();
}
