using System.Diagnostics;
using System.Text.Json;
using EtlFast.Core.Load;
using EtlFast.Core.Mapping;
using EtlFast.Core.Plan;
using EtlFast.Core.Sources;
using EtlFast.Core.Verify;

namespace EtlFast.Cli.Commands;

/// <summary>
/// <c>etlfast load</c> over a whole database: several mappings (repeated -m, or -m DIR), chosen by
/// --nsInclude/--nsExclude/-c as mongorestore chooses, checked against what the source holds before
/// anything is read, then loaded as one <see cref="DatabaseLoad"/>.
/// </summary>
internal static class DatabaseRun
{
    /// <summary>The flags of <c>etlfast load</c> that are not the job's: how each collection's load runs, and the output.</summary>
    public sealed record Flags(Func<LoadOptions, LoadOptions> Apply, bool DryRun, bool Verify, bool Quiet, ProgressMode? Progress, TimeSpan? Interval,
        string? SummaryPath, IReadOnlyList<string> Include, IReadOnlyList<string> Exclude, bool Infer);

    /// <summary>True when the flags ask for more than one collection: several -m, a directory of mappings, or a namespace selection.</summary>
    public static bool Applies(JobArgs job, Flags flags) =>
        job.MappingPaths.Count > 1 || (job.MappingPath is { } m && Directory.Exists(m)) || flags.Include.Count > 0 || flags.Exclude.Count > 0 || flags.Infer;

    public static int Run(JobArgs job, Flags flags, CliContext ctx)
    {
        if (flags.Progress == ProgressMode.Json)
        {
            throw new UsageException("--progress json works with one mapping", "use --progress plain (or auto) and --summary-json FILE for a whole-database run");
        }
        (List<CollectionLoad>? chosen, PgTarget target, int refused) = DatabaseChoice.Resolve(job, flags, ctx);
        if (chosen is not { } collections)
        {
            return refused;
        }
        if (DatabaseChoice.CrossReference(collections) is { } crossing)
        {
            // Each collection's keys are built by the partition that finishes it last, so a foreign key to
            // another collection's table could be added before that table's key exists, in another process.
            throw new UsageException($"--partition cannot yet load collections whose tables reference another collection's: {crossing}",
                "load the whole database in one process (its --jobs workers share every collection), or partition collections whose mappings reference no other collection");
        }
        if (flags.DryRun)
        {
            int exit = ExitCodes.Ok;
            foreach (CollectionLoad c in collections)
            {
                ctx.Out.WriteLine($"== collection {c.Namespace} (mapping {c.Plan.Mapping.FileName})");
                exit = Math.Max(exit, DryRun.Print(c.Plan, c.Options, ctx));
                ctx.Out.WriteLine();
            }
            return exit;
        }

        var clock = Stopwatch.StartNew();
        TimeSpan cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        ProgressMode how = flags.Progress ?? (flags.Quiet ? ProgressMode.None : ProgressMode.Auto);
        var progress = new Dictionary<CollectionLoad, Progress>();
        var run = new DatabaseLoad(collections, c => progress[c] = new Progress(ctx, how, flags.Interval, c.Plan), ctx.Cancellation);
        int code;
        string? error = null;
        try
        {
            run.Run((c, _) => progress[c].Finish());
            code = run.Summaries.Any(s => s.Rejected > 0) ? ExitCodes.CompletedWithRejects : ExitCodes.Ok;

        }
        catch (CollectionLoadException e)
        {
            // The single load's words and exit code for its error, named with the collection.
            Failure f = LoadCommand.Describe(e.InnerException!);
            code = f.ExitCode;
            error = $"collection {e.Namespace}: {f.Primary}";
            ctx.Error(error, f.Detail, f.Hint ?? "what was committed stays: run the same command with --resume to continue every collection");
        }
        catch (OperationCanceledException) when (ctx.Cancellation.IsCancellationRequested)
        {
            code = ctx.InterruptExitCode();
            error = "interrupted";
            ctx.Error("interrupted: every chunk is either committed whole or not at all; committed chunks stay in the tables", null,
                "run the same command with --resume to continue every collection, or with --mode clean to start over");
        }
        finally
        {
            foreach (Progress p in progress.Values)
            {
                p.Finish();
                p.Dispose();
            }
        }
        LoadSummary total = Total(run.Summaries, run.ConstraintSeconds, clock.Elapsed.TotalSeconds, (Process.GetCurrentProcess().TotalProcessorTime - cpuStart).TotalSeconds);
        bool human = !flags.Quiet && how != ProgressMode.Json;
        if (human && error is null)
        {
            ctx.Err.WriteLine();
            for (int i = 0; i < collections.Count; i++)
            {
                LoadSummary s = run.Summaries[i];
                ctx.Err.WriteLine(s.AlreadyFinished
                    ? $"collection {collections[i].Namespace}: already loaded (a finished load resumed): nothing to do"
                    : $"collection {collections[i].Namespace}: {s.Documents:N0} documents into {s.Rows:N0} rows of {s.Tables.Count} table{(s.Tables.Count == 1 ? "" : "s")}; data {s.LoadSeconds:N2} s, keys and indexes {s.ConstraintSeconds:N2} s"
                      + (s.Rejected > 0 ? $", {s.Rejected:N0} rejected ({s.RejectFile})" : ""));
            }
            SummaryPrinter.Print(ctx.Err, total, target);
            ctx.Err.WriteLine($"  {collections.Count} collections");
        }
        if (flags.Verify && error is null && VerifySet(collections, ctx, flags.Quiet, sample: null) is var verified && verified != ExitCodes.Ok)
        {
            code = verified;
            error = "verify after the load did not pass";
        }
        if (flags.SummaryPath is { } path)
        {
            WriteSummary(path, code, error, collections, run.Summaries, total, ctx);
        }
        return code;
    }

    /// <summary>Verifies every collection, each under a heading; the worst exit code.</summary>
    /// <param name="sample">--sample N and --seed S, for every collection, or null.</param>
    public static int VerifySet(IReadOnlyList<CollectionLoad> collections, CliContext ctx, bool quiet, (int Size, ulong Seed)? sample)
    {
        int exit = ExitCodes.Ok;
        var differ = new List<string>();
        foreach (CollectionLoad c in collections)
        {
            ctx.Out.WriteLine($"== collection {c.Namespace}");
            SampleCheck? check = sample is { } s ? new SampleCheck(c.Plan.Mapping, c.Plan.Schema, s.Size, s.Seed) : null;
            int verdict = VerifyCommand.Verify(c.Plan, c.Options, ctx, quiet, check);
            if (verdict != ExitCodes.Ok)
            {
                differ.Add(c.Namespace);
                exit = Math.Max(exit, verdict);
            }
        }
        if (differ.Count > 0)
        {
            ctx.Error($"verify: {differ.Count} of {collections.Count} collections differ from their source: {string.Join(", ", differ)}");
        }
        else if (!quiet)
        {
            ctx.Out.WriteLine($"all {collections.Count} collections match their source");
        }
        return exit;
    }

    /// <summary>The run as one summary: every collection's tables, documents and times added up; CPU and memory the process's.</summary>
    /// <param name="constraintSeconds">The wall time of the key build, which every collection's keys share.</param>
    private static LoadSummary Total(IReadOnlyList<LoadSummary> summaries, double constraintSeconds, double seconds, double cpu) => new()
    {
        Tables = [.. summaries.SelectMany(s => s.Tables)],
        Documents = summaries.Sum(s => s.Documents),
        Rejected = summaries.Sum(s => s.Rejected),
        Chunks = summaries.Sum(s => s.Chunks),
        SkippedChunks = summaries.Sum(s => s.SkippedChunks),
        BsonBytes = summaries.Sum(s => s.BsonBytes),
        Seconds = seconds,
        LoadSeconds = summaries.Sum(s => s.LoadSeconds),
        ConstraintSeconds = constraintSeconds,
        CpuSeconds = cpu,
        PeakRssBytes = ProcessStats.PeakRssBytes(),
        Gen0 = summaries.Sum(s => s.Gen0),
        Gen1 = summaries.Sum(s => s.Gen1),
        Gen2 = summaries.Sum(s => s.Gen2),
    };

    private static void WriteSummary(string path, int code, string? error, List<CollectionLoad> collections, IReadOnlyList<LoadSummary> summaries, LoadSummary total, CliContext ctx)
    {
        try
        {
            SummaryJson.Write(path, w =>
            {
                w.WriteStartObject();
                w.WriteString("status", LoadOutcome.StatusOf(code));
                w.WriteNumber("exit_code", code);
                SummaryJson.WriteNullable(w, "error", error);
                w.WriteNumber("documents", total.Documents);
                w.WriteNumber("rows", total.Rows);
                w.WriteNumber("rejected", total.Rejected);
                w.WriteNumber("seconds", total.Seconds);
                w.WriteNumber("client_cpu_seconds", total.CpuSeconds);
                w.WriteNumber("peak_rss_bytes", total.PeakRssBytes);
                w.WriteStartArray("collections");
                for (int i = 0; i < collections.Count; i++)
                {
                    LoadSummary s = summaries[i];
                    w.WriteStartObject();
                    w.WriteString("namespace", collections[i].Namespace);
                    w.WriteString("mapping", collections[i].Plan.Mapping.FileName);
                    w.WriteNumber("documents", s.Documents);
                    w.WriteNumber("rows", s.Rows);
                    w.WriteNumber("rejected", s.Rejected);
                    w.WriteNumber("data_seconds", s.LoadSeconds);
                    w.WriteNumber("keys_seconds", s.ConstraintSeconds);
                    w.WriteBoolean("already_finished", s.AlreadyFinished);
                    SummaryJson.WriteTables(w, s.Tables);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ctx.Error($"could not write the summary to \"{path}\": {e.Message}");
        }
    }
}
