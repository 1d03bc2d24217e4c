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

        Recomputes every row the mapping makes from the source, with the same engine as a load, and
        compares each table with it: row count and an order-independent checksum of every row. Prints a
        verdict per table, and for a table that differs a few rows missing from it or unexpected in it.
        Nothing is written to the tables (the recomputed rows go to temporary tables).

        Source and target:
        {0}

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
        bool quiet = false;
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
                default:
                    if (!job.TryTake(flag, reader))
                    {
                        throw ArgReader.Unknown(flag, "verify");
                    }
                    break;
            }
        }
        (LoadPlan plan, PgTarget target, byte[] text) = job.Build(ctx);
        return Verify(plan, job.Options(target, text, ctx), ctx, quiet);
    }

    /// <summary>Runs the verification and prints the verdicts; also used by <c>load --verify</c>.</summary>
    public static int Verify(LoadPlan plan, LoadOptions options, CliContext ctx, bool quiet)
    {
        IReadOnlyList<TableVerdict> verdicts;
        try
        {
            verdicts = new Verifier(plan, options).Run(ctx.Cancellation);
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
            return ExitCodes.Data;
        }
        if (!quiet)
        {
            ctx.Out.WriteLine($"all {verdicts.Count} tables match their source");
        }
        return ExitCodes.Ok;
    }
}
