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
        job.ResolveSource(ctx);
        PgTarget target = job.Target(ctx);
        List<CollectionLoad> collections;
        try
        {
            collections = Choose(job, flags, target, ctx);
        }
        catch (SourceException e)
        {
            ctx.Error(e.Message, hint: e.Hint); // the live server could not list its collections
            return ExitCodes.Connection;
        }
        catch (InferStoppedException e)
        {
            ctx.Err.WriteLine($"etlfast: nothing was loaded: --infer stopped at {e.Namespace}");
            return e.ExitCode;
        }
        if (CrossReference(collections) is { } crossing)
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

    /// <summary>With --partition and the keys built after the data: the first column that references another collection's table, or null.</summary>
    private static string? CrossReference(List<CollectionLoad> collections)
    {
        foreach (CollectionLoad c in collections.Where(c => !c.Options.Partition.IsWhole && c.Options.Constraints == ConstraintTiming.After))
        {
            var own = c.Plan.Tables.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
            foreach (TablePlan t in c.Plan.Tables)
            {
                if (t.Mapping.Columns.FirstOrDefault(col => col.References is { } r && !own.Contains(r.Table)) is { } column)
                {
                    return $"{t.Name}.{column.Name} -> {column.References!.Table}";
                }
            }
        }
        return null;
    }

    /// <summary>The collections a set of mappings selects from the source, as a whole-database load chooses them (for <c>etlfast verify</c>).</summary>
    public static List<CollectionLoad> Collections(JobArgs job, Flags flags, PgTarget target, CliContext ctx) => Choose(job, flags, target, ctx);

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

    /// <summary>The collections to load: each selected namespace of the source with its mapping, every refusal before anything is read.</summary>
    /// <param name="inferred">With --infer, the second pass: the mappings inferred for what the first found unmapped.</param>
    private static List<CollectionLoad> Choose(JobArgs job, Flags flags, PgTarget target, CliContext ctx, IReadOnlyList<string>? inferred = null)
    {
        if (job.MappingPaths.Count == 0 && !flags.Infer && inferred is null)
        {
            throw new UsageException("--mapping is required", "give -m FILE or -m DIR, or --infer to have every collection's mapping inferred");
        }
        var files = new List<string>();
        foreach (string path in job.MappingPaths)
        {
            if (!File.Exists(path) && !Directory.Exists(path))
            {
                throw new UsageException($"mapping \"{path}\" does not exist", "give a mapping file or a directory of them (one *.json per collection)");
            }
            IReadOnlyList<string> found = MappingSet.Files(path);
            if (found.Count == 0)
            {
                throw new UsageException($"mapping directory \"{path}\" holds no *.json file", "write one per collection, e.g. with etlfast infer --from SOURCE -c NAME -o DIR/NAME.json");
            }
            files.AddRange(found);
        }
        files.AddRange(inferred ?? []);
        MappingSet set;
        try
        {
            set = MappingSet.Read(files, job.Schema);
        }
        catch (MappingException e)
        {
            throw new UsageException($"invalid mapping: {e.Message}", "see docs/mapping.md for the mapping format");
        }
        var filter = new NamespaceFilter(flags.Include, flags.Exclude);
        bool Selected(string database, string collection) => filter.Selects($"{database}.{collection}")
            && (job.Collections.Count == 0 || job.Collections.Contains(collection))
            && (job.Database is null || job.Database == database);

        string from = job.From!;
        IReadOnlyList<SourceNamespace>? held;
        string? unlisted = null;
        try
        {
            held = MongoSource.IsMongoUri(from) ? LiveNamespaces.List(from, LiveDatabases(job, set), ctx.Cancellation, out unlisted) : SourceNamespaces.List(from);
        }
        catch (SourceException e) when (!e.IsConnection)
        {
            throw new UsageException(e.Message, e.Hint);
        }

        // Messages name a server by its hosts, never with the credentials of --from.
        string shown = MongoSource.IsMongoUri(from) ? $"mongodb://{string.Join(",", MongoDB.Driver.MongoUrl.Create(from).Servers)}" : from;
        var chosen = new List<(MappingSet.Member Member, string Database, string Collection, long? Bytes)>();
        if (held is not null)
        {
            var unmapped = new List<SourceNamespace>();
            var used = new HashSet<MappingSet.Member>();
            foreach (SourceNamespace ns in held.OrderBy(n => n.Name, StringComparer.Ordinal))
            {
                if (ns.Skipped is { } why)
                {
                    if (!flags.Quiet)
                    {
                        ctx.Err.WriteLine($"etlfast: {why}");
                    }
                    continue;
                }
                if (!Selected(ns.Database, ns.Collection))
                {
                    continue;
                }
                MappingSet.Member? m = set.Ordered.FirstOrDefault(x => x.Mapping.Collection == ns.Collection && (x.Mapping.Database is null || x.Mapping.Database == ns.Database));
                if (m is null)
                {
                    unmapped.Add(ns);
                    continue;
                }
                if (!used.Add(m))
                {
                    throw new UsageException($"mapping {m.Mapping.FileName} names collection \"{m.Mapping.Collection}\" without a database, and {shown} holds it in several",
                        "set \"database\" in the mapping, or choose one with --nsInclude 'db.*'");
                }
                chosen.Add((m, ns.Database, ns.Collection, ns.Bytes));
            }
            if (unmapped.Count > 0 && flags.Infer)
            {
                string dir = MissingMappings.Directory(flags.SummaryPath);
                string writeDir = flags.DryRun ? Path.Combine(Path.GetTempPath(), $"etlfast-dry-run-{Environment.ProcessId}") : dir;
                try
                {
                    List<string> more = MissingMappings.Infer(from, set, unmapped, dir, writeDir, flags.Quiet, ctx);
                    return Choose(job, flags with { Infer = false }, target, ctx, [.. inferred ?? [], .. more]); // mappings are read here: the files may go
                }
                finally
                {
                    if (flags.DryRun && Directory.Exists(writeDir))
                    {
                        Directory.Delete(writeDir, recursive: true);
                    }
                }
            }
            if (unmapped.Count > 0)
            {
                throw new UsageException($"{unmapped.Count} selected collection{(unmapped.Count == 1 ? " has" : "s have")} no mapping: {string.Join(", ", unmapped.Select(n => n.Name))}",
                    "write a mapping for each (etlfast infer --from SOURCE -o DIR/), pass --infer to have them inferred, or leave them out with --nsExclude 'db.name'");
            }
            string holds = string.Join(", ", held.Where(n => n.Skipped is null).Select(n => n.Name));
            foreach (MappingSet.Member m in set.Ordered.Where(m => !used.Contains(m)))
            {
                // A mapping left out by the selection is not an error; one the selection wants but the source lacks is.
                bool wanted = m.Mapping.Database is { } db
                    ? Selected(db, m.Mapping.Collection)
                    : flags.Include.Count == 0 && (job.Collections.Count == 0 || job.Collections.Contains(m.Mapping.Collection));
                if (wanted)
                {
                    throw new UsageException($"mapping {m.Mapping.FileName} names collection {m.Namespace}, which {shown} does not hold; it holds: {holds}",
                        "remove that mapping, or point --from at the dump that holds the collection");
                }
            }
        }
        else if (unlisted is not null)
        {
            if (!flags.Quiet)
            {
                ctx.Err.WriteLine($"etlfast: {unlisted}: loading the collections the mappings name (the server cannot say what else it holds, or which are views)");
            }
            foreach (MappingSet.Member m in set.Ordered)
            {
                // LiveDatabases gave a database for every mapping, or the listing would not have got this far.
                string db = m.Mapping.Database ?? job.Database ?? MongoDB.Driver.MongoUrl.Create(from).DatabaseName!;
                if (Selected(db, m.Mapping.Collection))
                {
                    chosen.Add((m, db, m.Mapping.Collection, null));
                }
            }
        }
        else if (from == "-")
        {
            // An archive's collections are read one after another, each by a pass over the archive; a pipe gives one pass.
            throw new UsageException($"standard input can be read only once, and a whole-database load{(flags.Infer ? " with --infer" : "")} reads an archive once per collection",
                "write the archive to a file (mongodump --archive=app.archive [--gzip]) and load --from app.archive, or load one collection from the stream with one --mapping FILE");
        }
        else
        {
            throw new UsageException($"{from} holds one collection; several mappings{(flags.Infer ? " and --infer" : "")} need a mongodump directory, an archive or a mongodb:// source",
                flags.Infer ? "write its mapping with etlfast infer --from SOURCE -o mapping.json, then load with -m mapping.json" : "give one --mapping for a .bson file or a stream of one");
        }
        if (chosen.Count == 0)
        {
            throw new UsageException("no collection is selected", "check --nsInclude/--nsExclude/-c against the collections the mappings and the source name");
        }
        var loads = new List<CollectionLoad>();
        foreach ((MappingSet.Member m, string db, string collection, long? bytes) in chosen.OrderBy(c => IndexIn(set, c.Member)))
        {
            LoadPlan plan = PlanCompiler.Compile(m.Mapping, job.Schema);
            LoadOptions options = flags.Apply(job.Options(target, m.Text, ctx)) with { Database = db, Collection = collection };
            loads.Add(new CollectionLoad($"{db}.{collection}", plan, options, bytes));
        }
        return loads;
    }

    /// <summary>
    /// The databases of a live server to list: -d, else the one --from names, else the ones the mappings
    /// name when every mapping names one; empty (every database) otherwise.
    /// </summary>
    private static List<string> LiveDatabases(JobArgs job, MappingSet set)
    {
        if ((job.Database ?? MongoDB.Driver.MongoUrl.Create(job.From).DatabaseName) is { } named)
        {
            return [named];
        }
        return set.Ordered.All(m => m.Mapping.Database is not null)
            ? [.. set.Ordered.Select(m => m.Mapping.Database!).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)]
            : [];
    }

    private static int IndexIn(MappingSet set, MappingSet.Member m)
    {
        for (int i = 0; i < set.Ordered.Count; i++)
        {
            if (set.Ordered[i] == m)
            {
                return i;
            }
        }
        return -1;
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
