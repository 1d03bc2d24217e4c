using EtlFast.Core.Load;
using EtlFast.Core.Mapping;
using EtlFast.Core.Plan;
using EtlFast.Core.Sources;

namespace EtlFast.Cli.Commands;

/// <summary>
/// Which collections a whole-database run takes: each selected namespace of the source (--nsInclude,
/// --nsExclude, -c, -d, as mongorestore chooses) with its mapping (or one --infer writes), every
/// refusal made before anything is read or written.
/// </summary>
internal static class DatabaseChoice
{
    /// <summary>
    /// Resolves the source and the target, and the collections a set of mappings selects from the source: what a
    /// whole-database load loads and <c>etlfast verify</c> checks. Null, with the exit code, when the live server could
    /// not list its collections or --infer could not infer one (said already).
    /// </summary>
    public static (List<CollectionLoad>? Collections, PgTarget Target, int Exit) Resolve(JobArgs job, DatabaseRun.Flags flags, CliContext ctx)
    {
        job.ResolveSource(ctx);
        PgTarget target = job.Target(ctx);
        try
        {
            return (Choose(job, flags, target, ctx), target, ExitCodes.Ok);
        }
        catch (SourceException e)
        {
            ctx.Error(e.Message, hint: e.Hint);
            return (null, target, ExitCodes.Connection);
        }
        catch (InferStoppedException e)
        {
            ctx.Err.WriteLine($"etlfast: nothing was loaded: --infer stopped at {e.Namespace}");
            return (null, target, e.ExitCode);
        }
    }

    /// <summary>The collections to load: each selected namespace of the source with its mapping, every refusal before anything is read.</summary>
    /// <param name="inferred">With --infer, the second pass: the mappings inferred for what the first found unmapped.</param>
    private static List<CollectionLoad> Choose(JobArgs job, DatabaseRun.Flags flags, PgTarget target, CliContext ctx, IReadOnlyList<string>? inferred = null)
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

    /// <summary>With --partition and the keys built after the data: the first column that references another collection's table, or null.</summary>
    public static string? CrossReference(List<CollectionLoad> collections)
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
}
