using System.Diagnostics;
using System.Globalization;
using EtlFast.Bson;
using EtlFast.Core.Engine;
using EtlFast.Core.Load;
using EtlFast.Core.Plan;
using EtlFast.Core.Sources;
using EtlFast.Core.Sync;

namespace EtlFast.Cli.Commands;

/// <summary><c>etlfast sync</c>: the snapshot (a load) then the change stream, into the same tables.</summary>
internal static class SyncCommand
{
    public const string Usage = """
        Usage: etlfast sync --from mongodb://HOST/DB --mapping FILE [--to POSTGRES] [options]

        Keeps the tables of a mapping following one live collection: the first run takes the change
        stream's position, loads the collection (as etlfast load does, resumable), then applies every
        change made since, batch by batch; later runs continue from the stored position. Each batch
        replaces the rows of the documents it changed, in every table, in one transaction with the new
        position (kept in the target's schema "etlfast"), so a crash or kill -9 at any moment loses and
        doubles nothing: run the same command again. The server must be a replica set or a sharded
        cluster (change streams need one); every table must hold its document's _id (a column
        "from": "$root._id") or reference a table that does.

        Source and target:
        {1}

        The snapshot (first run only):
          --mode MODE            create (default) or clean, as for etlfast load
          -j, --jobs N           parallel workers (default: the number of cores, here {0})

        Following:
          --until-caught-up [S]  exit 0 once a wait of S seconds (default 1) brings no change: every
                                 change made before it is applied (for a cutover script). Without it,
                                 the sync runs until SIGINT or SIGTERM, which end it after the batch in
                                 flight (exit 0)
          --max-await S          how long one batch waits for changes (default 1)
          --io-timeout SECONDS   how long a batch's statements may wait with no byte moving (default 300)
          -q, --quiet            no progress and no summary, only errors
          -h, --help             show this help

        Changes: insert, update (the whole document after it, looked up), replace and delete are
        applied; a drop, rename or invalidate stops the sync (exit 4) saying what happened, and a stored
        position the server's oplog no longer holds stops it (exit 4) saying to load again with
        --mode clean.

        Examples:
          etlfast sync --from mongodb://db1,db2/sample_db?replicaSet=rs0 -m examples/seed-users.json \
                       --to postgresql://loader@pg/app --until-caught-up 5

        """;

    public static int Run(string[] args, CliContext ctx)
    {
        if (Cli.WantsHelp(args))
        {
            ctx.Out.Write(string.Format(CultureInfo.InvariantCulture, Usage, Environment.ProcessorCount, JobArgs.Help.TrimEnd()));
            ctx.Out.Write(Help.ExitCodes);
            ctx.Out.WriteLine();
            return ExitCodes.Ok;
        }
        var job = new JobArgs();
        int jobs = Environment.ProcessorCount;
        LoadMode mode = LoadMode.Create;
        bool quiet = false, untilCaughtUp = false;
        double? caughtUpSeconds = null;
        double maxAwait = 1;
        TimeSpan ioTimeout = LoadOptions.DefaultIoTimeout;
        var reader = new ArgReader(args, 1);
        while (!reader.AtEnd)
        {
            string? flag = reader.Next(out string? positional);
            switch (flag)
            {
                case null when untilCaughtUp && caughtUpSeconds is null && double.TryParse(positional, NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s is > 0 and <= 3600:
                    caughtUpSeconds = s; // --until-caught-up's optional value
                    break;
                case null:
                    throw new UsageException($"unexpected argument \"{positional}\"", "give the source with --from");
                case "--mode":
                    mode = reader.Value(flag) switch
                    {
                        "create" => LoadMode.Create,
                        "clean" => LoadMode.Clean,
                        var m => throw new UsageException($"sync --mode takes create or clean, not \"{m}\"", "the snapshot makes the tables the changes then follow"),
                    };
                    break;
                case "-j" or "--jobs":
                    jobs = reader.IntValue(flag, 1, 256);
                    break;
                case "--until-caught-up":
                    reader.NoValue(flag);
                    untilCaughtUp = true;
                    break;
                case "--max-await":
                    maxAwait = reader.SecondsValue(flag, 0.01, 3600);
                    break;
                case "--io-timeout":
                    ioTimeout = TimeSpan.FromSeconds(reader.IntValue(flag, 1, 86_400));
                    break;
                case "-q" or "--quiet":
                    reader.NoValue(flag);
                    quiet = true;
                    break;
                default:
                    if (!job.TryTake(flag, reader))
                    {
                        throw ArgReader.Unknown(flag, "sync");
                    }
                    break;
            }
        }
        if (job.Query is not null)
        {
            throw new UsageException("sync cannot take --query", "a change stream carries every change of the collection; a filtered copy could not follow it");
        }
        (LoadPlan plan, PgTarget target, byte[] mappingText) = job.Build(ctx);
        LoadOptions options = job.Options(target, mappingText, ctx) with { Jobs = jobs, Mode = mode, IoTimeout = ioTimeout };
        var sync = new SyncOptions(untilCaughtUp, TimeSpan.FromSeconds(caughtUpSeconds ?? maxAwait), job.BatchSize ?? 1000);

        using var progress = new Progress(ctx, quiet ? ProgressMode.None : ProgressMode.Plain, null, plan);
        var follow = new SyncProgress(ctx, quiet, plan);
        try
        {
            SyncSummary summary = new Syncer(plan, options, progress, follow, ctx.Cancellation).Run(sync);
            progress.Finish();
            follow.Summary(summary, stopped: !summary.CaughtUp);
            return ExitCodes.Ok;
        }
        catch (Exception e) when (e is LoadException or DataException or BsonException or SourceException)
        {
            progress.Finish();
            (int exit, string? detail, string? hint) = e switch
            {
                LoadException l => (l.Kind switch { FailureKind.Usage => ExitCodes.Usage, FailureKind.Connection => ExitCodes.Connection, _ => ExitCodes.Data }, l.Detail, l.Hint),
                SourceException s => (s.IsConnection ? ExitCodes.Connection : ExitCodes.Usage, null, s.Hint),
                _ => (ExitCodes.Data, null, "run the same command again once the cause is fixed: the sync continues from the stored position"),
            };
            ctx.Error(e.Message, detail, hint);
            return exit;
        }
        catch (OperationCanceledException) when (ctx.Cancellation.IsCancellationRequested)
        {
            progress.Finish();
            ctx.Error("interrupted during the snapshot: every chunk is committed whole or not at all", null, "run the same command again: the snapshot continues, then the changes since its start are applied");
            return ctx.InterruptExitCode();
        }
    }

    /// <summary>A line about every 10 s while following (and the final summary) on stderr.</summary>
    private sealed class SyncProgress(CliContext ctx, bool quiet, LoadPlan plan) : ISyncObserver
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private long _nextMs;

        public void Phase(string what)
        {
            if (!quiet)
            {
                ctx.Err.WriteLine($"etlfast: {what}");
            }
        }

        public void BatchApplied(SyncSummary soFar, int events)
        {
            if (quiet || _clock.ElapsedMilliseconds < _nextMs)
            {
                return;
            }
            _nextMs = _clock.ElapsedMilliseconds + 10_000;
            ctx.Err.WriteLine(Line(soFar));
        }

        private static string Line(SyncSummary s) => string.Create(CultureInfo.InvariantCulture,
            $"sync: {s.Events:N0} changes ({s.Documents:N0} documents) in {s.Batches:N0} batches; rows +{s.Inserted.Sum():N0} -{s.Deleted.Sum():N0}; lag {(s.LagSeconds is { } lag ? $"{lag:F1} s" : "-")}");

        public void Summary(SyncSummary s, bool stopped)
        {
            if (quiet)
            {
                return;
            }
            TextWriter w = ctx.Err;
            w.WriteLine(stopped ? "sync stopped on request after the batch in flight" : "sync caught up: a whole wait brought no change");
            w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"table",-24} {"inserted",12} {"deleted",12}"));
            for (int t = 0; t < plan.Tables.Length; t++)
            {
                w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{plan.Tables[t].Name,-24} {s.Inserted[t],12:N0} {s.Deleted[t],12:N0}"));
            }
            w.WriteLine(Line(s) + string.Create(CultureInfo.InvariantCulture, $"; {s.Seconds:F1} s"));
        }
    }
}
