using EtlFast.Bson;
using EtlFast.Core.Engine;
using EtlFast.Core.Load;
using EtlFast.Core.Mapping;
using EtlFast.Core.Plan;
using EtlFast.Core.Sources;

namespace EtlFast.Cli.Commands;

/// <summary><c>etlfast load</c>: raw flags, validated into options and a compiled plan, then the loader.</summary>
internal static class LoadCommand
{
    public const string Usage = """
        Usage: etlfast load --from SOURCE --mapping FILE [--to POSTGRES] [options]
               etlfast load --from DUMP --mapping DIR [--nsInclude 'db.*'] [--to POSTGRES] [options]
               etlfast load --from DUMP --infer [--mapping DIR] [--to POSTGRES] [options]

        Copies one MongoDB collection into the PostgreSQL tables its mapping describes, or a whole
        database: with several --mapping files, or a directory of them (one *.json per collection),
        every collection of a mongodump directory, archive or live database that a mapping names.
        Each chunk of documents is committed in one transaction with all of its rows, so a failure
        never leaves half a document behind.

        Source and target:
        {1}

        Whole databases:
          -m, --mapping DIR      every *.json in DIR, one mapping per collection (or repeat -m FILE).
                                 A column may reference a table of another collection's mapping
                                 ("references": "customers.id"). Every collection the source holds
                                 (views, system.* and time-series are skipped, saying so) must have a
                                 mapping unless left out; every collection's data goes in first (the
                                 largest first), then all keys, foreign keys and indexes, referenced
                                 collections first. --resume continues every collection. A live
                                 server is asked with listCollections (of the database --from or -d
                                 names, else the mappings' databases, else all but admin/local/config);
                                 one that lacks it loads the collections the mappings name
          --nsInclude PATTERN    load only the namespaces db.collection that match (repeatable; * is
                                 any characters), e.g. --nsInclude 'app.*'; -c NAME (repeatable) and
                                 -d NAME select by collection and database the same way
          --nsExclude PATTERN    leave out the namespaces that match (repeatable), e.g. 'app.audit_*'
          --infer                a collection no mapping covers (all of them, without -m) is sampled and
                                 loaded with the mapping etlfast infer would write, which is kept in
                                 inferred-mappings/DB.COLLECTION.json beside --summary-json (else in
                                 the current directory): review it, then -m inferred-mappings/ loads
                                 the same way. A mapping found there from an earlier run is taken as
                                 it is, so a retry or --resume loads as the first run did

        What happens to the tables:
          --mode MODE            create    create the tables; refuse if any exists (default)
                                 clean     drop the tables if they exist, then create them
                                 truncate  empty the existing tables, keep their definitions
                                 append    add rows to the existing tables
          --constraints WHEN     after     build primary keys, foreign keys and indexes once the
                                           data is in, in parallel (default; create and clean only)
                                 before    create them with the tables; every row is checked as it
                                           arrives (slower; the only choice for truncate and append,
                                           whose tables keep the constraints they have)

        Performance:
          -j, --jobs N           parallel workers, each with its own PostgreSQL connection
                                 (default: the number of cores, here {0})
          --partition I/N        be partition I (0 to N-1) of N processes that share this load, e.g. on
                                 N machines or as a Kubernetes Indexed Job (--partition
                                 $JOB_COMPLETION_INDEX/N; see examples/k8s). Every process gets the
                                 same flags; chunks (a file's) or _id ranges (a live collection's)
                                 are dealt out deterministically, so together they load everything
                                 exactly once. The first to arrive prepares the tables, the last to
                                 finish builds the keys and indexes. Pass --resume to restart one
                                 (with --partition, --resume also starts a load that has not begun)
          --sink null            benchmarking aid: read, walk and encode everything but send nothing
                                 to PostgreSQL (default: --sink postgres)

        Failures, resuming and rejects:
          --resume               continue the unfinished load of the same source, mapping file, --schema
                                 and --chunk-size: chunks it committed are skipped, exactly. Every chunk
                                 is committed with a checkpoint in the schema "etlfast" of the target,
                                 in the same transaction as its rows. Without --resume, a target holding
                                 an unfinished load of the same source and mapping is refused.
          --on-error ACTION      stop      a document that cannot be converted stops the load (default);
                                           its chunk rolls back, committed chunks stay
                                 reject    write it whole to DIR/COLLECTION.rejects.bson, with a line in
                                           DIR/COLLECTION.rejects.log naming its _id, byte offset, field,
                                           table and reason, and go on (exit code 1 at the end);
                                           this covers documents over MongoDB's 16 MiB limit too
          --reject-dir DIR       where reject files go (default: the current directory)
          --io-timeout SECONDS   how long a chunk's COPY, checkpoint or commit on PostgreSQL, and a read
                                 from a live MongoDB (its socketTimeoutMS, unless the URI sets one), may
                                 wait with no byte moving (default 300). It bounds each wait, not a whole
                                 COPY; key and index builds have none. A stuck PostgreSQL connection is
                                 dropped and the chunk retried once on a new one, then the load stops
                                 (exit 3) and --resume continues it; a stuck MongoDB read is reopened
                                 after the last _id read, as other faults are
          --max-rejects N        with --on-error reject: stop once more than N documents are rejected

        Output:
          --dry-run              print the plan and stop: the source (size, estimated chunks), the
                                 DDL exactly as it would run, the keys, foreign keys and indexes in
                                 the order they are built, mode, jobs, chunk size and what --resume
                                 would do. Reads no document and writes nothing; the target is only
                                 looked at, read-only, and "not checked" when it cannot be reached
          --verify               after the load, run "etlfast verify" on the same source and tables
                                 (of every collection, for a whole database; documents the load
                                 rejected are left out of the comparison)
          --progress HOW         auto   redrawn in place on a terminal (documents, rows, MB/s, ETA,
                                        rows per table), a plain line every 10 s otherwise (default)
                                 plain  a plain line per interval, terminal or not
                                 json   one JSON object per line on stderr: "progress" events, a
                                        "phase" event per step and a last "end" event; see README
                                 none   nothing (as -q does for progress)
          --progress-interval S  seconds between progress reports (default 0.5 on a terminal, else 10)
          --summary-json FILE    write the final summary as JSON to FILE (replaced atomically), also
                                 when the load fails: tables, totals, timings, exit code, the error
          -q, --quiet            no progress and no summary, only errors (--progress still applies)
          -h, --help             show this help

        Examples:
          etlfast load --from dump/sample_db/users.bson --mapping examples/seed-users.json \
                       --to postgresql://postgres@localhost/postgres
          mongodump --archive --db=app | etlfast load --from - -m users.json
          mongodump --archive --gzip --db=app | etlfast load --from - -m users.json
          mongodump --archive=app.archive.gz --gzip --db=app
          etlfast load --from app.archive.gz -m users.json
          etlfast gen app -n 100000 -o dump && etlfast load --from dump -m examples/app --mode clean
          etlfast load --from app.archive.gz -m mappings/ --nsExclude 'app.audit_*'
          etlfast load --from dump --infer --mode clean
          PGHOST=db PGUSER=loader etlfast load --from users.bson.gz -m seed.json --mode clean -j 8

        """;

    public static int Run(string[] args, CliContext ctx)
    {
        if (Cli.WantsHelp(args))
        {
            ctx.Out.Write(string.Format(System.Globalization.CultureInfo.InvariantCulture, Usage, Environment.ProcessorCount, JobArgs.Help.TrimEnd()));
            ctx.Out.Write(Help.ExitCodes);
            ctx.Out.WriteLine();
            return ExitCodes.Ok;
        }
        var job = new JobArgs();
        int jobs = Environment.ProcessorCount;
        LoadMode mode = LoadMode.Create;
        ConstraintTiming? constraints = null;
        bool quiet = false, nullSink = false, resume = false, verify = false, dryRun = false, infer = false;
        ProgressMode? progressMode = null;
        TimeSpan? progressInterval = null;
        string? summaryPath = null;
        ErrorAction onError = ErrorAction.Stop;
        string rejectDir = ".";
        long maxRejects = long.MaxValue;
        Partition partition = Partition.Whole;
        TimeSpan ioTimeout = LoadOptions.DefaultIoTimeout;
        var namespaces = new NamespaceFlags();

        var reader = new ArgReader(args, 1);
        while (!reader.AtEnd)
        {
            string? flag = reader.Next(out string? positional);
            switch (flag)
            {
                case null:
                    throw new UsageException($"unexpected argument \"{positional}\"", "give the source with --from");
                case "--mode":
                    mode = reader.Value(flag) switch
                    {
                        "create" => LoadMode.Create,
                        "clean" => LoadMode.Clean,
                        "truncate" => LoadMode.Truncate,
                        "append" => LoadMode.Append,
                        var m => throw new UsageException($"--mode takes create, clean, truncate or append, not \"{m}\""),
                    };
                    break;
                case "--constraints":
                    constraints = reader.Value(flag) switch
                    {
                        "after" => ConstraintTiming.After,
                        "before" => ConstraintTiming.Before,
                        var c => throw new UsageException($"--constraints takes after or before, not \"{c}\""),
                    };
                    break;
                case "-j" or "--jobs":
                    jobs = reader.IntValue(flag, 1, 256);
                    break;
                case "--resume":
                    reader.NoValue(flag);
                    resume = true;
                    break;
                case "--on-error":
                    onError = reader.Value(flag) switch
                    {
                        "stop" => ErrorAction.Stop,
                        "reject" => ErrorAction.Reject,
                        var k => throw new UsageException($"--on-error takes stop or reject, not \"{k}\""),
                    };
                    break;
                case "--partition":
                    string text = reader.Value(flag);
                    partition = Partition.Parse(text, out string? problem)
                        ?? throw new UsageException($"--partition \"{text}\": {problem}");
                    break;
                case "--reject-dir":
                    rejectDir = reader.Value(flag);
                    break;
                case "--io-timeout":
                    ioTimeout = TimeSpan.FromSeconds(reader.IntValue(flag, 1, 86_400));
                    break;
                case "--max-rejects":
                    maxRejects = reader.LongValue(flag, 0, long.MaxValue);
                    break;
                case "--sink":
                    nullSink = reader.Value(flag) switch
                    {
                        "null" => true,
                        "postgres" => false,
                        var k => throw new UsageException($"--sink takes postgres or null, not \"{k}\""),
                    };
                    break;
                case "-q" or "--quiet":
                    reader.NoValue(flag);
                    quiet = true;
                    break;
                case "--verify":
                    reader.NoValue(flag);
                    verify = true;
                    break;
                case "--dry-run":
                    reader.NoValue(flag);
                    dryRun = true;
                    break;
                case "--progress":
                    progressMode = reader.Value(flag) switch
                    {
                        "auto" => ProgressMode.Auto,
                        "plain" => ProgressMode.Plain,
                        "json" => ProgressMode.Json,
                        "none" => ProgressMode.None,
                        var p => throw new UsageException($"--progress takes auto, plain, json or none, not \"{p}\""),
                    };
                    break;
                case "--progress-interval":
                    progressInterval = TimeSpan.FromSeconds(reader.SecondsValue(flag, 0.05, 3600));
                    break;
                case "--summary-json":
                    summaryPath = reader.Value(flag);
                    break;
                case "--infer":
                    reader.NoValue(flag);
                    infer = true;
                    break;
                default:
                    if (!job.TryTake(flag, reader) && !namespaces.TryTake(flag, reader))
                    {
                        throw ArgReader.Unknown(flag, "load");
                    }
                    break;
            }
        }
        if (constraints == ConstraintTiming.After && mode is LoadMode.Truncate or LoadMode.Append)
        {
            throw new UsageException($"--constraints after works with --mode create or clean only",
                "truncate and append load into existing tables and keep the constraints they have");
        }

        if (!partition.IsWhole && job.From == "-")
        {
            throw new UsageException("--partition cannot be used with --from -", "every partition reads the same source: give a file, a dump directory or a mongodb:// URI");
        }
        if (!partition.IsWhole && verify)
        {
            throw new UsageException("--verify cannot be used with --partition", "a partition holds a share of the rows: run \"etlfast verify\" once every partition has finished");
        }

        if (summaryPath is not null && !Directory.Exists(Path.GetDirectoryName(Path.GetFullPath(summaryPath))))
        {
            throw new UsageException($"--summary-json \"{summaryPath}\": its directory does not exist");
        }
        LoadOptions Apply(LoadOptions o) => o with
        {
            Jobs = jobs,
            Mode = mode,
            Constraints = constraints ?? DefaultTiming(mode),
            NullSink = nullSink,
            Resume = resume,
            OnError = onError,
            RejectDir = rejectDir,
            MaxRejects = maxRejects,
            Partition = partition,
            IoTimeout = ioTimeout,
        };
        var database = new DatabaseRun.Flags(Apply, dryRun, verify && !nullSink, quiet, progressMode, progressInterval, summaryPath, namespaces.Include, namespaces.Exclude, infer);
        if (DatabaseRun.Applies(job, database))
        {
            return DatabaseRun.Run(job, database, ctx);
        }
        DateTimeOffset started = DateTimeOffset.UtcNow;
        var facts = new RunFacts(null, null, job.Schema, Lower(mode), Lower(constraints ?? DefaultTiming(mode)), jobs, job.ChunkMb * 1024 * 1024);
        LoadPlan plan;
        PgTarget target;
        LoadOptions options;
        try
        {
            (plan, target, byte[] mappingText) = job.Build(ctx);
            options = Apply(job.Options(target, mappingText, ctx));
            facts = facts with { Source = SafeSourceName(plan, options), Target = target.Display, Schema = plan.Schema };
        }
        catch (UsageException e) when (summaryPath is not null)
        {
            // Cli.Run prints it; the summary file says the same, for scripts.
            var usage = new Failure(ExitCodes.Usage, e.Message, null, e.Hint);
            WriteSummary(ctx, summaryPath, new LoadOutcome(ExitCodes.Usage, new LoadSummary { Tables = [] }, usage, null), facts, started);
            throw;
        }

        if (dryRun)
        {
            try
            {
                return DryRun.Print(plan, options, ctx);
            }
            catch (Exception e) when (e is LoadException or SourceException)
            {
                Failure f = Describe(e);
                ctx.Error(f.Primary, f.Detail, f.Hint);
                return f.ExitCode;
            }
        }

        ProgressMode how = progressMode ?? (quiet ? ProgressMode.None : ProgressMode.Auto);
        // With JSON progress, stderr stays JSON lines (errors excepted): the end event replaces the summary table.
        bool human = !quiet && how != ProgressMode.Json;
        using var progress = new Progress(ctx, how, progressInterval, plan);
        var loader = new Loader(plan, options, progress, ctx.Cancellation);
        Failure? failure = null;
        int exit;
        try
        {
            LoadSummary summary = loader.Run();
            progress.Finish();
            if (human && !summary.AlreadyFinished) // a finished load resumed: the phase line said there is nothing to do
            {
                SummaryPrinter.Print(ctx.Err, summary, target);
            }
            exit = ExitCodes.Ok;
            if (verify && !nullSink)
            {
                exit = VerifyCommand.Verify(plan, options, ctx, quiet);
                if (exit != ExitCodes.Ok)
                {
                    failure = new Failure(exit, "verify after the load did not pass", null, "see the messages above");
                }
            }
            if (exit == ExitCodes.Ok && summary.Rejected > 0)
            {
                if (human)
                {
                    ctx.Err.WriteLine($"etlfast: {summary.Rejected:N0} document{(summary.Rejected == 1 ? " was" : "s were")} rejected: see {summary.RejectFile} and its .log");
                }
                exit = ExitCodes.CompletedWithRejects;
            }
        }
        catch (Exception e) when (e is LoadException or DataException or BsonException or SourceException)
        {
            progress.Finish();
            if (how != ProgressMode.Json)
            {
                ReportCommitted(ctx, loader);
            }
            failure = Describe(e);
            ctx.Error(failure.Primary, failure.Detail, failure.Hint);
            exit = failure.ExitCode;
        }
        catch (OperationCanceledException) when (ctx.Cancellation.IsCancellationRequested)
        {
            progress.Finish();
            if (how != ProgressMode.Json)
            {
                ReportCommitted(ctx, loader);
            }
            failure = new Failure(ctx.InterruptExitCode(), "interrupted: every chunk is either committed whole or not at all; committed chunks stay in the tables", null,
                loader.RunId is null ? "re-run with --mode clean to start over" : "run the same command with --resume to continue, or with --mode clean to start over");
            ctx.Error(failure.Primary, failure.Detail, failure.Hint);
            exit = failure.ExitCode;
        }
        var outcome = new LoadOutcome(exit, loader.Summary, failure, loader.RunId);
        progress.End(outcome);
        if (summaryPath is not null)
        {
            WriteSummary(ctx, summaryPath, outcome, facts, started);
        }
        return exit;
    }

    private static ConstraintTiming DefaultTiming(LoadMode mode) =>
        mode is LoadMode.Create or LoadMode.Clean ? ConstraintTiming.After : ConstraintTiming.Before;

    private static string Lower<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    /// <summary>The source as messages name it: a file path, or a live source's hosts and namespace without credentials.</summary>
    private static string SafeSourceName(LoadPlan plan, LoadOptions options)
    {
        if (options.From == "-")
        {
            return "standard input";
        }
        if (!MongoSource.IsMongoUri(options.From))
        {
            return options.From;
        }
        try
        {
            return MongoSource.Display(MongoDB.Driver.MongoUrl.Create(options.From), options.Database ?? plan.Mapping.Database ?? "", options.Collection ?? plan.Mapping.Collection);
        }
        catch (Exception e) when (e is MongoDB.Driver.MongoConfigurationException or ArgumentException or FormatException)
        {
            return "mongodb://(an invalid connection string)";
        }
    }

    private static void WriteSummary(CliContext ctx, string path, LoadOutcome outcome, RunFacts facts, DateTimeOffset started)
    {
        try
        {
            SummaryJson.Write(path, outcome, facts, started);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ctx.Error($"could not write the summary to \"{path}\": {e.Message}");
        }
    }

    private static void ReportCommitted(CliContext ctx, Loader loader)
    {
        LoadSummary s = loader.Summary;
        if (s.Chunks > 0 || s.SkippedChunks > 0)
        {
            ctx.Err.WriteLine($"etlfast: committed before stopping: {s.Chunks:N0} chunks, {s.Documents:N0} documents, {s.Rows:N0} rows" +
                (s.SkippedChunks > 0 ? $" (plus {s.SkippedChunks:N0} chunks from the run resumed)" : ""));
        }
    }

    /// <summary>The message and exit code for an error that ends a load.</summary>
    internal static Failure Describe(Exception e) => e switch
    {
        LoadException l => new Failure(l.Kind switch
        {
            FailureKind.Usage => ExitCodes.Usage,
            FailureKind.Connection => ExitCodes.Connection,
            _ => ExitCodes.Data,
        }, l.Message, l.Detail, l.Hint),
        DataException d => new Failure(ExitCodes.Data, d.Message, "the chunk holding this document was rolled back; chunks committed before it stay", d.Hint),
        BsonException b => new Failure(ExitCodes.Data, SourceFaultText.Primary(b), null, SourceFaultText.IsDecompression(b)
            ? SourceFaultText.DecompressionHint("the whole chunks before the damage were committed and stay")
            : "the dump is corrupt or truncated at that offset; documents before it were loaded"),
        SourceException s => new Failure(s.IsConnection ? ExitCodes.Connection : ExitCodes.Usage, s.Message, null, s.Hint),
        _ => throw e,
    };
}
