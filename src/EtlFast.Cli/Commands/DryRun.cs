using EtlFast.Core;
using EtlFast.Core.Load;
using EtlFast.Core.Plan;
using EtlFast.Core.Sources;

namespace EtlFast.Cli.Commands;

/// <summary>
/// <c>load --dry-run</c>: the plan, on stdout, without reading the source's documents or writing to
/// PostgreSQL. The DDL is the statements the load would run (from <see cref="SchemaBuilder"/>). The
/// target is looked at read-only when it can be reached; when it cannot, the plan is printed anyway and
/// says the target was not checked.
/// </summary>
internal static class DryRun
{
    public static int Print(LoadPlan plan, LoadOptions options, CliContext ctx)
    {
        TextWriter o = ctx.Out;
        o.WriteLine("etlfast load --dry-run: the plan only; no document is read and nothing is written");
        o.WriteLine();
        bool live = MongoSource.IsMongoUri(options.From);
        long? estimatedChunks = Source(o, plan, options, live);

        string? identity = Checkpoints.SourceIdentity(options, plan.Mapping);
        string? runId = identity is null || options.NullSink ? null : Checkpoints.RunId(identity, options.MappingText, plan.Schema, options.ChunkBytes);
        TargetState target = options.NullSink ? new TargetState { Error = "--sink null sends nothing to PostgreSQL" } : TargetInspection.Inspect(plan, options, runId);
        o.WriteLine($"target       {options.Target.Display}, schema {Sql.Quote(plan.Schema)}");
        if (target.Checked)
        {
            o.WriteLine($"             checked read-only: PostgreSQL {target.ServerVersion}; schema {Sql.Quote(plan.Schema)} {(target.SchemaExists ? "exists" : "does not exist")}; " +
                (target.ExistingTables.Count == 0 ? $"none of the {plan.Tables.Length} tables exists"
                    : $"{target.ExistingTables.Count} of the {plan.Tables.Length} tables exist: {string.Join(", ", target.ExistingTables.Select(Sql.Quote))}"));
        }
        else
        {
            o.WriteLine($"             not checked: {target.Error}");
        }

        (LoadMode mode, ConstraintTiming timing) = Effective(options, target);
        o.WriteLine($"mode         {Describe(mode, plan, target)}");
        o.WriteLine($"constraints  {(timing == ConstraintTiming.After && mode is LoadMode.Create or LoadMode.Clean
            ? "after: the tables are created bare; keys, foreign keys and indexes are built once the data is in, each wave in parallel"
            : mode is LoadMode.Create or LoadMode.Clean
                ? "before: keys, foreign keys and indexes are created with the tables; every row is checked as it arrives"
                : "before: the existing tables keep their keys, foreign keys and indexes; every row is checked as it arrives")}");
        o.WriteLine($"jobs         {options.Jobs} worker{(options.Jobs == 1 ? "" : "s")}{(options.NullSink ? "" : ", each with its own PostgreSQL connection")}{(live ? " and its own MongoDB range reader" : "")}");
        o.WriteLine($"chunk size   {options.ChunkBytes / 1048576} MiB of BSON{(options.NullSink ? "" : $"; each chunk is committed in one transaction{(runId is null ? "" : " with its checkpoint")}")}");
        if (!options.Partition.IsWhole)
        {
            Partition part = options.Partition;
            o.WriteLine($"partition    {part.Index} of {part.Count} (0-based): loads {(live ? "the _id ranges" : "the chunks")} numbered {part.Index} mod {part.Count}; the first partition to start prepares the tables, the last to finish builds the keys");
        }
        o.WriteLine($"on error     {(options.OnError == ErrorAction.Stop ? "stop" : $"reject, to {Path.Combine(options.RejectDir, Loader.RejectFileStem(plan, options))}.rejects.bson")}");
        Resume(o, options, runId, target);
        o.WriteLine();

        Tables(o, plan);
        o.WriteLine();
        Work(o, plan, options, mode, timing, estimatedChunks, runId is not null);
        return ExitCodes.Ok;
    }

    /// <summary>Prints the source; returns the estimated number of chunks when the size is known.</summary>
    private static long? Source(TextWriter o, LoadPlan plan, LoadOptions options, bool live)
    {
        string collection = options.Collection ?? plan.Mapping.Collection;
        if (live)
        {
            MongoDB.Driver.MongoUrl url;
            try
            {
                url = MongoDB.Driver.MongoUrl.Create(options.From);
            }
            catch (Exception e) when (e is MongoDB.Driver.MongoConfigurationException or ArgumentException or FormatException)
            {
                throw new SourceException("invalid MongoDB connection string", "write mongodb://[user:password@]host[:port][,host...]/[database][?options] (or mongodb+srv://)");
            }
            string database = SourceFactory.LiveDatabase(plan, options);
            o.WriteLine($"source       {MongoSource.Display(url, database, collection)} (live MongoDB, not contacted by a dry run)");
            o.WriteLine($"             namespace {database}.{collection}{(options.Query is null ? "" : $", filter {options.Query}")}; cut into _id ranges when the load starts");
            return null;
        }
        if (options.From == "-")
        {
            o.WriteLine("source       standard input (not read by a dry run; its size is unknown)");
            return null;
        }
        OpenedSource file = SourceOpener.Open(options.From, options.Database ?? plan.Mapping.Database, collection, options.OpenStdin, SourceOpener.LoadDatabaseHint);
        file.Stream.Dispose(); // opened only to resolve it as the load would; nothing is read
        o.WriteLine($"source       {file.DisplayName}");
        long size = file.Meter.TotalBytes ?? 0;
        if (file.Meter.Compressed)
        {
            o.WriteLine($"             {size / 1048576.0:N1} MB compressed ({size:N0} bytes); the BSON size, hence the number of chunks, is known only once decompressed");
            return null;
        }
        long chunks = Math.Max(1, (size + options.ChunkBytes - 1) / options.ChunkBytes);
        o.WriteLine($"             {size / 1048576.0:N1} MB ({size:N0} bytes): about {chunks:N0} chunk{(chunks == 1 ? "" : "s")} of {options.ChunkBytes / 1048576} MiB");
        return chunks;
    }

    /// <summary>A resumed load keeps the mode and timing its first run recorded.</summary>
    private static (LoadMode, ConstraintTiming) Effective(LoadOptions options, TargetState target) =>
        options.Resume && target.Run is { FinishedAt: null } run
            ? (Enum.Parse<LoadMode>(run.Mode, ignoreCase: true), Enum.Parse<ConstraintTiming>(run.Constraints, ignoreCase: true))
            : (options.Mode, options.Constraints);

    private static string Describe(LoadMode mode, LoadPlan plan, TargetState target)
    {
        int n = plan.Tables.Length, existing = target.ExistingTables.Count;
        string what = mode switch
        {
            LoadMode.Create => $"create: creates the {n} tables; refused if any of them exists",
            LoadMode.Clean => $"clean: drops the {n} tables if they exist (CASCADE), then creates them",
            LoadMode.Truncate => $"truncate: empties the {n} existing tables, keeps their definitions",
            _ => $"append: adds rows to the {n} existing tables",
        };
        if (!target.Checked)
        {
            return what;
        }
        string? verdict = mode switch
        {
            LoadMode.Create when existing > 0 => $"would be refused: {existing} of the tables exist (use --mode clean, truncate or append)",
            LoadMode.Truncate or LoadMode.Append when existing < n =>
                $"would be refused: {n - existing} of the tables do not exist: {string.Join(", ", plan.Tables.Select(t => t.Name).Except(target.ExistingTables).Select(Sql.Quote))}",
            LoadMode.Clean when existing > 0 => $"would drop {existing} existing table{(existing == 1 ? "" : "s")}",
            _ => null,
        };
        return verdict is null ? what : $"{what}\n             -> {verdict}";
    }

    private static void Resume(TextWriter o, LoadOptions options, string? runId, TargetState target)
    {
        if (runId is null)
        {
            o.WriteLine($"checkpoints  none: {(options.NullSink ? "--sink null writes nothing" : "standard input cannot be resumed")}");
            return;
        }
        o.WriteLine($"checkpoints  run id {runId}, kept in schema \"{Checkpoints.Schema}\" of the target (created if missing)");
        if (!target.Checked)
        {
            o.WriteLine($"             earlier runs not checked{(options.Resume ? "; --resume needs an unfinished one" : "")}");
            return;
        }
        RunState? run = target.Run;
        string state = run switch
        {
            null => "no earlier load of this source, mapping, schema and chunk size",
            { FinishedAt: { } done } => $"an earlier load of it finished at {done:u}",
            _ => $"an unfinished load of it, started {run.StartedAt:u}: {run.CommittedChunks.Count:N0} chunks ({run.CommittedDocuments:N0} documents) committed",
        };
        string consequence = (options.Resume, run) switch
        {
            (true, { FinishedAt: null }) => $"--resume skips its {run.CommittedChunks.Count:N0} committed chunks",
            (true, { FinishedAt: not null }) => "--resume has nothing to do: it exits 0 without reading or writing anything",
            (true, null) => "--resume finds nothing to resume and starts the load",
            (false, { FinishedAt: null }) when options.Mode != LoadMode.Clean => "-> would be refused without --resume (or --mode clean): it would load the committed rows twice",
            (false, { FinishedAt: null }) => "--mode clean starts it over",
            _ => "",
        };
        o.WriteLine($"             {state}{(consequence.Length > 0 ? "\n             " + consequence : "")}");
    }

    private static void Tables(TextWriter o, LoadPlan plan)
    {
        o.WriteLine($"tables ({plan.Tables.Length})");
        foreach (TablePlan t in plan.Tables)
        {
            var parts = new List<string> { $"from {(t.Mapping.Path is { } p ? p : "the document")}", $"{t.Columns.Length} column{(t.Columns.Length == 1 ? "" : "s")}" };
            if (t.Mapping.PrimaryKey.Count > 0)
            {
                parts.Add($"primary key ({string.Join(", ", t.Mapping.PrimaryKey.Select(Sql.Quote))})");
            }
            foreach (var c in t.Mapping.Columns.Where(c => c.References is not null))
            {
                parts.Add($"{Sql.Quote(c.Name)} references {Sql.Quote(c.References!.Table)} ({Sql.Quote(c.References.Column)})");
            }
            foreach (var index in t.Mapping.Indexes)
            {
                parts.Add($"{(index.Unique ? "unique index" : "index")} ({string.Join(", ", index.Columns.Select(Sql.Quote))})");
            }
            o.WriteLine($"  {t.QualifiedName}: {string.Join("; ", parts)}");
        }
    }

    /// <summary>The order of work, with every statement as it would be executed.</summary>
    private static void Work(TextWriter o, LoadPlan plan, LoadOptions options, LoadMode mode, ConstraintTiming timing, long? chunks, bool checkpoints)
    {
        o.WriteLine("order of work");
        int step = 0;
        if (options.NullSink)
        {
            o.WriteLine($"  {++step}. read, walk and encode every document, send nothing (--sink null)");
            return;
        }
        Partition part = options.Partition;
        o.WriteLine($"  {++step}. prepare the tables, in one transaction{(mode == LoadMode.Append ? " (nothing to do for append)" : "")}"
            + (part.IsWhole ? "" : "; done by the first partition to start, the others wait for it and join"));
        Statements(o, SchemaBuilder.PrepareStatements(plan, mode, timing));
        string count = (chunks, part.IsWhole) switch
        {
            (long n, true) => $"about {n:N0} chunk{(n == 1 ? "" : "s")}",
            (long n, false) => $"about {Math.Max(0, (n - part.Index + part.Count - 1) / part.Count):N0} of the {n:N0} chunk{(n == 1 ? "" : "s")} (those numbered {part.Index} mod {part.Count})",
            (null, true) => "the chunks",
            (null, false) => $"the _id ranges numbered {part.Index} mod {part.Count}",
        };
        o.WriteLine($"  {++step}. load {count} with {options.Jobs} worker{(options.Jobs == 1 ? "" : "s")}: per chunk, one transaction of COPY ... FROM STDIN (FORMAT BINARY) into each table{(checkpoints ? " plus its checkpoint row" : "")}");
        if (timing == ConstraintTiming.After && mode is LoadMode.Create or LoadMode.Clean)
        {
            string[] names = ["primary keys", "unique indexes", "foreign keys", "indexes"];
            IReadOnlyList<IReadOnlyList<string>> waves = SchemaBuilder.ConstraintWaves(plan, includeKeys: true);
            for (int i = 0; i < waves.Count; i++)
            {
                if (waves[i].Count > 0)
                {
                    o.WriteLine($"  {++step}. {names[i]}: {waves[i].Count} statement{(waves[i].Count == 1 ? "" : "s")}, up to {Math.Min(options.Jobs, waves[i].Count)} at a time"
                        + (part.IsWhole ? "" : ", by the last partition to finish"));
                    Statements(o, waves[i]);
                }
            }
        }
        if (checkpoints)
        {
            o.WriteLine($"  {++step}. mark the load finished in {Checkpoints.Schema}.runs");
        }
    }

    private static void Statements(TextWriter o, IEnumerable<string> statements)
    {
        foreach (string sql in statements)
        {
            o.WriteLine("     " + sql.ReplaceLineEndings("\n     ") + ";");
        }
    }
}
