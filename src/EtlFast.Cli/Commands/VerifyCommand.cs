using EtlFast.Bson;
using EtlFast.Core.Engine;
using EtlFast.Core.Load;
using EtlFast.Core.Plan;
using EtlFast.Core.Sources;
using EtlFast.Core.Verify;
using Npgsql;

namespace EtlFast.Cli.Commands;

/// <summary><c>etlfast verify</c>: recomputes every row from the source and compares the tables with it.</summary>
internal static class VerifyCommand
{
    public const string Usage = """
        Usage: etlfast verify --from SOURCE --mapping FILE [--to POSTGRES] [options]
               etlfast verify --from DUMP --mapping DIR [--nsInclude 'db.*'] [--to POSTGRES] [options]

        Recomputes every row the mapping makes from the source, with the same engine as a load, and
        compares each table with it: row count and an order-independent checksum of every row. Prints a
        verdict per table, and for a table that differs a few rows missing from it or unexpected in it.
        Nothing is written to the tables (each chunk's recomputed rows pass through temporary tables
        that are emptied at the chunk's commit, so disk use stays within one chunk).

        The full check uses the load's own encoder, so a conversion bug would pass it. --sample N adds
        an independent one: N documents spread evenly over the source are decoded with MongoDB.Bson,
        their rows rendered by a separate interpreter of the mapping, fetched from PostgreSQL by primary
        key and compared value by value as text; the first differences are shown with table, column,
        document _id, expected and actual.

        Source and target:
        {0}

        Whole databases: -m DIR (or -m repeated), --nsInclude, --nsExclude, -c and -d choose the
        collections as etlfast load does; each is verified under a heading "== collection DB.NAME".

        Sample check:
          --sample N             also check N documents independently of the load's encoder (1 to 100000)
          --seed S               which documents --sample picks (default 1: the same ones every run)

        Output:
          -q, --quiet            print only tables that differ
          -h, --help             show this help

        Exit codes: 0 every table matches; 4 some table differs; 2 usage or mapping error; 3 connection error.

        Example:
          etlfast verify --from users.bson --mapping examples/seed-users.json --to postgresql://localhost/app

        """;

    public static int Run(string[] args, CliContext ctx)
    {
        if (Cli.WantsHelp(args))
        {
            ctx.Out.Write(string.Format(System.Globalization.CultureInfo.InvariantCulture, Usage, JobArgs.Help.TrimEnd()));
            return ExitCodes.Ok;
        }
        var job = new JobArgs();
        var namespaces = new NamespaceFlags();
        bool quiet = false;
        int sample = 0;
        ulong? seed = null;
        var reader = new ArgReader(args, 1);
        while (!reader.AtEnd)
        {
            string? flag = reader.Next(out string? positional);
            switch (flag)
            {
                case null:
                    throw new UsageException($"unexpected argument \"{positional}\"", "give the source with --from");
                case "-q" or "--quiet":
                    reader.NoValue(flag);
                    quiet = true;
                    break;
                case "--sample":
                    sample = reader.IntValue(flag, 1, 100_000);
                    break;
                case "--seed":
                    seed = (ulong)reader.LongValue(flag, 0, long.MaxValue);
                    break;
                default:
                    if (!job.TryTake(flag, reader) && !namespaces.TryTake(flag, reader))
                    {
                        throw ArgReader.Unknown(flag, "verify");
                    }
                    break;
            }
        }
        if (seed is not null && sample == 0)
        {
            throw new UsageException("--seed needs --sample", "add --sample N, e.g. --sample 100");
        }
        var set = new DatabaseRun.Flags(o => o, DryRun: false, Verify: true, quiet, Progress: null, Interval: null, SummaryPath: null, namespaces.Include, namespaces.Exclude, Infer: false);
        if (DatabaseRun.Applies(job, set))
        {
            (List<CollectionLoad>? collections, _, int refused) = DatabaseChoice.Resolve(job, set, ctx);
            return collections is null ? refused : DatabaseRun.VerifySet(collections, ctx, quiet, sample > 0 ? (sample, seed ?? SampleCheck.DefaultSeed) : null);
        }
        (LoadPlan plan, PgTarget target, byte[] text) = job.Build(ctx);
        SampleCheck? check = sample > 0 ? new SampleCheck(plan.Mapping, plan.Schema, sample, seed ?? SampleCheck.DefaultSeed) : null;
        return Verify(plan, job.Options(target, text, ctx), ctx, quiet, check);
    }

    /// <summary>Runs the verification and prints the verdicts; also used by <c>load --verify</c>.</summary>
    public static int Verify(LoadPlan plan, LoadOptions options, CliContext ctx, bool quiet, SampleCheck? sample = null)
    {
        IReadOnlyList<TableVerdict> verdicts;
        try
        {
            verdicts = new Verifier(plan, options, sample).Run(ctx.Cancellation);
        }
        catch (PostgresException e) when (e.SqlState == "42P01")
        {
            ctx.Error($"verify: {e.MessageText}", hint: "the tables must exist: load them first, with the same mapping and --schema");
            return ExitCodes.Data;
        }
        catch (NpgsqlException e) when (e is not PostgresException)
        {
            ctx.Error($"verify: could not reach PostgreSQL at {options.Target.Display}", e.Message);
            return ExitCodes.Connection;
        }
        catch (Exception e) when (e is DataException or BsonException or SourceException or LoadException)
        {
            ctx.Error($"verify: {e.Message}", hint: e is BsonException b && SourceFaultText.IsDecompression(b)
                ? SourceFaultText.DecompressionHint("the tables were not compared") : null);
            return e is SourceException { IsConnection: true } or LoadException { Kind: FailureKind.Connection } ? ExitCodes.Connection : ExitCodes.Data;
        }
        int width = Math.Max(5, verdicts.Max(v => v.Table.Length));
        bool all = true;
        if (!quiet)
        {
            ctx.Out.WriteLine($"{"table".PadRight(width)}  {"source rows",12}  {"table rows",12}  verdict");
        }
        foreach (TableVerdict v in verdicts)
        {
            all &= v.Match;
            if (quiet && v.Match)
            {
                continue;
            }
            ctx.Out.WriteLine($"{v.Table.PadRight(width)}  {v.SourceRows,12:N0}  {v.TableRows,12:N0}  {(v.Match ? "ok" : "DIFFERS")}");
            foreach (string row in v.Missing)
            {
                ctx.Out.WriteLine($"    missing or changed in the table: {row}");
            }
            foreach (string row in v.Unexpected)
            {
                ctx.Out.WriteLine($"    unexpected in the table:         {row}");
            }
        }
        if (!all)
        {
            ctx.Error("verify: some tables differ from their source", hint: "re-run the load with --mode clean, or look at the rows above");
            if (sample?.Report is { } checkedAnyway)
            {
                PrintSample(checkedAnyway, ctx, quiet);
            }
            return ExitCodes.Data;
        }
        if (!quiet)
        {
            ctx.Out.WriteLine($"all {verdicts.Count} tables match their source");
        }
        return sample?.Report is { } report ? PrintSample(report, ctx, quiet) : ExitCodes.Ok;
    }

    private static int PrintSample(SampleReport report, CliContext ctx, bool quiet)
    {
        foreach (string note in report.NotChecked)
        {
            ctx.Out.WriteLine(note);
        }
        if (!quiet)
        {
            foreach (string note in report.Skipped)
            {
                ctx.Out.WriteLine($"sample: {note}");
            }
        }
        if (report.DifferenceCount == 0)
        {
            if (!quiet)
            {
                ctx.Out.WriteLine($"sample: {report.Documents:N0} documents, {report.Rows:N0} rows checked independently of the encoder: all values match");
            }
            return ExitCodes.Ok;
        }
        ctx.Out.WriteLine($"sample: {report.Documents:N0} documents, {report.Rows:N0} rows checked independently of the encoder: {report.DifferenceCount:N0} values differ");
        foreach (SampleDifference d in report.Differences)
        {
            string where = d.Column.Length > 0 ? $"table \"{d.Table}\" column \"{d.Column}\"" : d.Table.Length > 0 ? $"table \"{d.Table}\"" : "document";
            ctx.Out.WriteLine($"    {where}, document _id {d.DocumentId}: expected {Show(d.Expected)}, actual {Show(d.Actual)}");
        }
        SampleDifference first = report.Differences[0];
        ctx.Error(first.Column.Length > 0
                ? $"verify: table \"{first.Table}\" column \"{first.Column}\" of document _id {first.DocumentId} holds {Show(first.Actual)}, but the mapping makes {Show(first.Expected)}"
                : $"verify: document _id {first.DocumentId} was not loaded as the mapping says",
            $"{report.DifferenceCount:N0} values of {report.Rows:N0} sampled rows differ; the full check above cannot see this, because it recomputes rows with the load's own encoder",
            "this points at a conversion bug in etlfast: please report it with the mapping and the document");
        return ExitCodes.Data;
    }

    private static string Show(string? text) => text is null ? "NULL" : $"\"{text}\"";
}
