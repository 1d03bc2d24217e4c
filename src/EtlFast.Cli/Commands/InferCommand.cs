using System.Globalization;
using System.Text;
using EtlFast.Bson;
using EtlFast.Core.Inference;
using EtlFast.Core.Sources;

namespace EtlFast.Cli.Commands;

/// <summary><c>etlfast infer</c>: samples a source and proposes a commented mapping for <c>etlfast load</c>.</summary>
internal static class InferCommand
{
    public const string Usage = """
        Usage: etlfast infer --from SOURCE [--config FILE] [--sample N] [-o FILE|DIR/] [-d DB] [-c COLLECTION] [-q]

        Reads a sample of a collection, finds every field path with its BSON types and how often it is
        present, and writes a mapping (docs/mapping.md) that "etlfast load" accepts unchanged: the
        documents become one table keyed by _id; small subdocuments become columns (address.zipCode ->
        address_zip_code), large ones or those holding arrays of subdocuments 1:1 tables; arrays of
        subdocuments child tables (nested ones grandchild tables) with a primary key and a foreign key
        to their parent; scalar arrays, maps and fields of mixed types jsonb. Comments say what the
        sample showed; MIXED, RARE, NOT MAPPED and UNSTORABLE mark what to review (docs/infer.md).

        Options:
          --from SOURCE          a mongodump .bson or .bson.gz file, a mongodump output directory
                                 (DIR/db/collection.bson[.gz]), a mongodump --archive file (plain or
                                 --gzip; -c, and -d if the name is in several databases, pick the
                                 namespace), - for standard input (.bson or an archive, gzipped or not), or a live MongoDB:
                                 mongodb://[user:pass@]host/... or mongodb+srv://... (the same
                                 connection handling as "etlfast load")
        {1}
          --sample N             how many documents to read (default {0}): the first N of a file,
                                 directory or standard input (the rest is not read), or N picked by
                                 {{$sample: {{size: N}}}} from a live collection
          -o, --output FILE      write the mapping to FILE (written whole to FILE.tmp, then renamed;
                                 an existing FILE is replaced). Default: standard output
          -o, --output DIR/      without -c: one mapping per collection of a dump directory, an
                                 archive or a live database (-d picks one), each DIR/COLLECTION.json
                                 (DIR/DB.COLLECTION.json for several databases); views, system.* and
                                 time-series are skipped, saying so. DIR is a directory that exists, or
                                 ends with /. "etlfast load --mapping DIR" then loads them all
          -d, --db NAME          the database: of a live source (default: the URI's), and the mapping's
                                 "database" (default for a dump directory: its folder's name)
          -c, --collection NAME  the collection: required for a live source and for standard input;
                                 picks the file in a dump directory. Also the mapping's "collection"
                                 and the main table's name (default: the file name, users.bson -> users)
          -q, --quiet            no report on standard error, only errors
          -h, --help             show this help

        The report on standard error gives the documents sampled, each table with its path and
        columns, and the flagged fields (mixed types with their shares, rare fields, names a mapping
        cannot spell).

        Examples:
          etlfast infer --from users.bson -o users.json
          etlfast infer --from dump/ -c users --sample 5000 -o users.json
          mongodump --archive --db=app | etlfast infer --from - -c users > users.json
          etlfast infer --from app.archive.gz -d app -c users -o users.json
          etlfast infer --from dump/ -o mappings/        # every collection, then: load --mapping mappings
          etlfast infer --from mongodb://localhost/sample_db -c users -o users.json
          etlfast load --from users.bson --mapping users.json --to postgresql://postgres@localhost/postgres

        """;

    public static int Run(string[] args, CliContext ctx)
    {
        if (Cli.WantsHelp(args))
        {
            ctx.Out.Write(string.Format(CultureInfo.InvariantCulture, Usage, Sampler.DefaultSize, SourceSecrets.Help));
            ctx.Out.Write(Help.ExitCodes);
            ctx.Out.WriteLine();
            return ExitCodes.Ok;
        }
        string? from = null, config = null, output = null, database = null, collection = null;
        int sample = Sampler.DefaultSize;
        bool quiet = false;
        var reader = new ArgReader(args, 1);
        while (!reader.AtEnd)
        {
            string? flag = reader.Next(out string? positional);
            switch (flag)
            {
                case null:
                    throw new UsageException($"unexpected argument \"{positional}\"", "give the source with --from");
                case "--from":
                    from = reader.Value(flag);
                    break;
                case "--config":
                    config = reader.Value(flag);
                    break;
                case "--sample":
                    sample = reader.IntValue(flag, 1, 10_000_000);
                    break;
                case "-o" or "--output":
                    output = reader.Value(flag);
                    break;
                case "-d" or "--db":
                    database = reader.Value(flag);
                    break;
                case "-c" or "--collection":
                    collection = reader.Value(flag);
                    break;
                case "-q" or "--quiet":
                    reader.NoValue(flag);
                    quiet = true;
                    break;
                default:
                    throw ArgReader.Unknown(flag, "infer");
            }
        }
        from = SourceSecrets.Resolve(from, config, ctx);
        if (from is null)
        {
            throw new UsageException("--from is required", $"name a .bson or .bson.gz file, a mongodump directory, - for standard input, or a mongodb:// URI (or give it in --config FILE or {SourceSecrets.Variable})");
        }
        if (collection is { Length: 0 } || database is { Length: 0 })
        {
            throw new UsageException("-c/--collection and -d/--db cannot be empty");
        }
        var options = new InferOptions { From = from, SampleSize = sample, Database = database, Collection = collection, OpenStdin = ctx.OpenStdin };
        if (output is not null && output != "-" && (Directory.Exists(output) || output.EndsWith('/')))
        {
            if (collection is not null)
            {
                throw new UsageException($"output \"{output}\" is a directory", "give -o a file name with -c, e.g. -o mapping.json, or leave -c out for one mapping per collection");
            }
            return InferDatabase.Run(options, output, quiet, ctx);
        }

        int? failed = TryInfer(options, ctx, out InferResult? inferred);
        if (failed is { } code)
        {
            return code;
        }
        InferResult result = inferred!;
        string target = output is null or "-" ? "standard output" : output;
        if (output is null or "-")
        {
            ctx.Out.Write(result.Text);
        }
        else if (!WriteAtomically(output, result.Text, ctx))
        {
            return ExitCodes.Data;
        }
        if (!quiet)
        {
            Report(ctx.Err, result, target);
        }
        return ExitCodes.Ok;
    }

    /// <summary>Runs the inference; on failure says why and returns the exit code, else null with the result.</summary>
    internal static int? TryInfer(InferOptions options, CliContext ctx, out InferResult? result)
    {
        result = null;
        try
        {
            result = Inferrer.Run(options, ctx.Cancellation);
            return null;
        }
        catch (SourceException e)
        {
            ctx.Error(e.Message, hint: e.Hint);
            return e.IsConnection ? ExitCodes.Connection : ExitCodes.Usage;
        }
        catch (BsonException e)
        {
            ctx.Error(SourceFaultText.Primary(e), hint: SourceFaultText.IsDecompression(e)
                ? SourceFaultText.DecompressionHint("no mapping was written")
                : "the source is corrupt or truncated at that offset; nothing was written");
            return ExitCodes.Data;
        }
        catch (InferException e)
        {
            ctx.Error(e.Message, hint: e.Hint);
            return ExitCodes.Data;
        }
        catch (OperationCanceledException) when (ctx.Cancellation.IsCancellationRequested)
        {
            ctx.Error("interrupted: no mapping was written");
            return ctx.InterruptExitCode();
        }
    }

    /// <summary>FILE.tmp, then a rename: FILE is either the old file or the whole new mapping, never half of one.</summary>
    internal static bool WriteAtomically(string path, string text, CliContext ctx)
    {
        string temp = path + ".tmp";
        try
        {
            File.WriteAllText(temp, text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
            File.Move(temp, path, overwrite: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try
            {
                File.Delete(temp);
            }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
            {
                // the first error is the one to report
            }
            ctx.Error($"could not write the mapping to \"{path}\"", detail: e.Message, hint: "check that the directory exists and is writable");
            return false;
        }
    }

    internal static void Report(TextWriter err, InferResult r, string target)
    {
        InferredLayout layout = r.Layout;
        string size = r.Bytes < 1048576 ? $"{r.Bytes / 1024.0:N1} KB" : $"{r.Bytes / 1048576.0:N1} MB";
        err.WriteLine($"etlfast: sampled {r.Sample} ({size})");
        err.WriteLine($"etlfast: proposed {layout.Tables.Count} table{(layout.Tables.Count == 1 ? "" : "s")}, {layout.Columns} columns, written to {target}");
        int nameWidth = Math.Min(40, layout.Tables.Max(t => t.Name.Length));
        int pathWidth = Math.Min(50, layout.Tables.Max(t => (t.Path ?? "(documents)").Length));
        foreach (InferredTable t in layout.Tables)
        {
            string keys = t.PrimaryKey.Count == 0 ? "no primary key" : $"key ({string.Join(", ", t.PrimaryKey)})";
            err.WriteLine($"  {t.Name.PadRight(nameWidth)}  {(t.Path ?? "(documents)").PadRight(pathWidth)}  {t.Columns.Count,3} columns  {keys}");
        }
        if (layout.Flags.Count == 0)
        {
            err.WriteLine("etlfast: no field flagged");
            return;
        }
        err.WriteLine($"etlfast: {layout.Flags.Count} field{(layout.Flags.Count == 1 ? "" : "s")} flagged (see the comments in the mapping):");
        foreach (FlaggedField f in layout.Flags)
        {
            string kind = f.Kind switch
            {
                FlagKind.MixedTypes => "MIXED",
                FlagKind.Rare => "RARE",
                FlagKind.NotMapped => "NOT MAPPED",
                _ => "UNSTORABLE",
            };
            err.WriteLine($"  {kind,-10}  {MappingWriter.JsonString(f.Path)}: {f.Text}");
        }
    }
}
