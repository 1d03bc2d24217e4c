using System.Diagnostics;
using System.Globalization;
using EtlFast.Core.Generation;
using EtlFast.Core.Sources.Archive;

namespace EtlFast.Cli.Commands;

/// <summary><c>etlfast gen users|app --count N -o FILE|DIR</c>: writes the seed benchmark's documents, or a whole application database, as mongodump would.</summary>
internal static class GenCommand
{
    public const string HelpText = """
        etlfast gen - generate sample data as a mongodump-compatible .bson file, dump directory or archive

        Usage:
          etlfast gen users --count N -o FILE [--seed S] [-q]
          etlfast gen app --count N -o DIR|FILE.archive[.gz] [--gzip] [--seed S] [-q]

        Generators:
          users    the seed benchmark's user documents (database sample_db, collection users), as
                   shared/SEED_WORKLOAD.md describes them: _id 1..N, about 5.4 KB and 41.5 table rows
                   each; about 30% of messages carry 1-3 attachments (the published generator had none)
          app      a shop's whole database app_db, for whole-database loads: N orders (int64 _id, 1-8
                   embedded line items, about 85% of the bytes) with N/20 customers (ObjectId _id),
                   N/200 products (string _id "SKU-000001"), N/8 reviews and N/2 audit_log entries;
                   orders and reviews reference customers and products; some fields change BSON type
                   from document to document (phone: string or int64; price: double, decimal128 or
                   int32; rating: int32 or double); plus a view big_orders (metadata only), with
                   mongodump's metadata.json and indexes. -o DIR writes the dump directory DIR/app_db
                   (what mongodump --out=DIR writes); -o FILE.archive[.gz] or -o - one archive.
                   examples/app/ holds a mapping for each collection

        Options:
          -n, --count N        how many documents (users) or orders (app) to write, 0 to 2147483647
                               (required; 1_000_000 is accepted)
          -o, --output FILE    the file to write (required). The data goes to FILE.tmp, renamed to FILE once
                               complete, so FILE never holds a partial run. A name ending in .gz is gzip-compressed.
                               A name ending in .archive or .archive.gz is a mongodump archive (what
                               mongodump --archive [--gzip] writes) holding the namespace sample_db.users.
                               "-" writes to standard output (app: an archive).
                               For app, any other name is a dump directory: DIR/app_db is built as
                               DIR/app_db.tmp and renamed once complete (replacing an older DIR/app_db)
              --gzip           app, dump directory: compress every file (.bson.gz, .metadata.json.gz), as
                               mongodump --gzip does
              --seed S         seed of the pseudo-random generator, 0 to 9223372036854775807 (default 42).
                               The same seed and count always give the same bytes; dates count back from
                               2025-01-01T00:00:00Z, not from today.
          -q, --quiet          print neither the progress line nor the final summary (errors still go to stderr)
          -h, --help           show this help

        Progress (every second) and the final summary go to stderr; MB means 10^6 bytes of BSON.

        Examples:
          etlfast gen users --count 10000 -o users.bson
          etlfast gen users --count 1_000_000 --seed 7 -o users.bson.gz
          etlfast gen users --count 10000 -o sample.archive.gz && mongorestore --gzip --archive=sample.archive.gz
          etlfast gen users -n 1000 -q -o - | mongorestore --db sample_db --collection users -
          etlfast gen app --count 100000 -o dump && mongorestore dump
          etlfast gen app --count 100000 -o app.archive.gz

        Exit codes:
          0    success
          2    usage error (unknown generator, bad or missing option): nothing was written
          4    the output could not be written (FILE is left untouched, FILE.tmp is removed)
          130  interrupted (Ctrl-C); FILE.tmp is removed

        """;

    public static int Run(string[] args, CliContext ctx)
    {
        if (Cli.WantsHelp(args))
        {
            ctx.Out.Write(HelpText);
            return ExitCodes.Ok;
        }
        GenOptions options = GenOptions.Parse(args);
        if (options.Output == "-")
        {
            return ToStdout(options, ctx);
        }
        return options.App && !IsArchive(options.Output) ? ToDirectory(options, ctx) : ToFile(options, ctx);
    }

    private static int ToStdout(GenOptions options, CliContext ctx)
    {
        try
        {
            Stream stdout = ctx.OpenStdout();
            var progress = new GenProgress(ctx, options);
            GenerationProgress done = Generate(stdout, options, progress, ctx);
            progress.Summary(done, "standard output", onDisk: null);
            return ExitCodes.Ok;
        }
        catch (OperationCanceledException)
        {
            ctx.Error("interrupted");
            return ExitCodes.Interrupted;
        }
        catch (IOException e)
        {
            ctx.Error("could not write to standard output", detail: e.Message);
            return ExitCodes.Data;
        }
    }

    private static int ToDirectory(GenOptions options, CliContext ctx)
    {
        string dir = options.Output;
        if (File.Exists(dir))
        {
            throw new UsageException($"output \"{dir}\" is a file; etlfast gen app writes a dump directory there",
                "give -o a directory (created if missing), or a name ending in .archive or .archive.gz for an archive");
        }
        try
        {
            Directory.CreateDirectory(dir);
            var progress = new GenProgress(ctx, options);
            GenerationProgress done = AppDatabaseDump.WriteDirectory(new AppDatabaseGenerator(options.Seed), dir, options.Count, options.Gzip,
                options.Quiet ? null : progress.Report, ctx.Cancellation);
            progress.Summary(done, Path.Combine(dir, AppDatabaseGenerator.Database), onDisk: null);
            return ExitCodes.Ok;
        }
        catch (OperationCanceledException)
        {
            ctx.Error("interrupted", detail: $"the partial dump was removed; \"{dir}\" is unchanged");
            return ExitCodes.Interrupted;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ctx.Error($"could not write the dump directory \"{dir}\"", detail: e.Message, hint: "check the free space and permissions");
            return ExitCodes.Data;
        }
    }

    private static int ToFile(GenOptions options, CliContext ctx)
    {
        string path = options.Output;
        if (Directory.Exists(path))
        {
            throw new UsageException($"output \"{path}\" is a directory", "give -o a file name, e.g. -o users.bson");
        }
        GeneratedFile file;
        try
        {
            file = GeneratedFile.Create(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            ctx.Error($"could not create \"{path}.tmp\"", detail: e.Message, hint: "check that the directory exists and is writable");
            return ExitCodes.Data;
        }
        using (file)
        {
            try
            {
                var progress = new GenProgress(ctx, options);
                GenerationProgress done = Generate(file.Stream, options, progress, ctx);
                long onDisk = file.Commit();
                progress.Summary(done, path, file.Compressed ? onDisk : null);
                return ExitCodes.Ok;
            }
            catch (OperationCanceledException)
            {
                ctx.Error("interrupted", detail: $"\"{file.TempPath}\" was removed; \"{path}\" is unchanged");
                return ExitCodes.Interrupted;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                ctx.Error($"could not write \"{path}\"", detail: e.Message, hint: "check the free space and permissions; nothing was left under that name");
                return ExitCodes.Data;
            }
        }
    }

    private static GenerationProgress Generate(Stream output, GenOptions options, GenProgress progress, CliContext ctx)
    {
        if (options.App)
        {
            return AppDatabaseDump.WriteArchive(new AppDatabaseGenerator(options.Seed), output, options.Count,
                options.Quiet ? null : progress.Report, ctx.Cancellation);
        }
        var generator = new SeedUsersGenerator(options.Seed);
        if (!IsArchive(options.Output))
        {
            return generator.WriteUsers(output, options.Count, options.Quiet ? null : progress.Report, ctx.Cancellation);
        }
        using var archive = new ArchiveWriter(output, [(ArchiveDatabase, "users")]);
        using var users = new ArchiveNamespaceWriter(archive, 0);
        GenerationProgress done = generator.WriteUsers(users, options.Count, options.Quiet ? null : progress.Report, ctx.Cancellation);
        users.Complete();
        return done;
    }

    /// <summary>The database an archive's namespace is given: the one the seed documents and the seed mapping name.</summary>
    private const string ArchiveDatabase = "sample_db";

    private static bool IsArchive(string path) =>
        path.EndsWith(".archive", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".archive.gz", StringComparison.OrdinalIgnoreCase);

    /// <summary>The validated flags of one run.</summary>
    private sealed class GenOptions
    {
        public required int Count { get; init; }
        public required ulong Seed { get; init; }
        public required string Output { get; init; }
        public required bool Quiet { get; init; }
        /// <summary>The app database generator, not the seed users.</summary>
        public required bool App { get; init; }
        public required bool Gzip { get; init; }

        public static GenOptions Parse(string[] args)
        {
            string? generator = null;
            int? count = null;
            ulong seed = SeedUsersGenerator.DefaultSeed;
            string? output = null;
            bool quiet = false;
            bool gzip = false;
            var reader = new ArgReader(args, 1);
            while (!reader.AtEnd)
            {
                string? flag = reader.Next(out string? positional);
                switch (flag)
                {
                    case null when positional is null:
                        break;
                    case null when generator is null:
                        generator = positional;
                        break;
                    case null:
                        throw new UsageException($"unexpected argument \"{positional}\"", "etlfast gen takes one generator name, e.g. \"etlfast gen users\"");
                    case "-n" or "--count":
                        count = (int)reader.LongValue(flag, 0, int.MaxValue);
                        break;
                    case "--seed":
                        seed = (ulong)reader.LongValue(flag, 0, long.MaxValue);
                        break;
                    case "-o" or "--output":
                        output = reader.Value(flag);
                        if (output.Length == 0)
                        {
                            throw new UsageException($"{flag} needs a file name (or \"-\" for standard output)");
                        }
                        break;
                    case "-q" or "--quiet":
                        reader.NoValue(flag);
                        quiet = true;
                        break;
                    case "--gzip":
                        reader.NoValue(flag);
                        gzip = true;
                        break;
                    default:
                        throw ArgReader.Unknown(flag, "gen");
                }
            }
            if (generator is null)
            {
                throw new UsageException("which generator? \"users\" or \"app\"", "run e.g. \"etlfast gen users --count 10000 -o users.bson\"");
            }
            if (generator is not ("users" or "app"))
            {
                throw new UsageException($"unknown generator \"{generator}\"", "the generators are \"users\" (one collection) and \"app\" (a whole database)");
            }
            if (count is null)
            {
                throw new UsageException("--count is required", "e.g. \"etlfast gen users --count 10000 -o users.bson\"");
            }
            if (output is null)
            {
                throw new UsageException("-o/--output is required", "give a file name, or \"-o -\" for standard output");
            }
            bool app = generator == "app";
            if (gzip && !(app && output != "-" && !IsArchive(output)))
            {
                throw new UsageException("--gzip is for etlfast gen app writing a dump directory",
                    "for a compressed file or archive, end the -o name in .gz (e.g. users.bson.gz, app.archive.gz)");
            }
            return new GenOptions { Count = count.Value, Seed = seed, Output = output, Quiet = quiet, App = app, Gzip = gzip };
        }
    }

    /// <summary>The progress line (about once a second) and the final summary, on stderr.</summary>
    private sealed class GenProgress(CliContext ctx, GenOptions options)
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private long _nextReportMs = 1000;
        private bool _lineOpen;

        public void Report(GenerationProgress p)
        {
            long now = _clock.ElapsedMilliseconds;
            if (now < _nextReportMs || (!options.App && p.Documents == options.Count))
            {
                return;
            }
            _nextReportMs = now + 1000;
            double seconds = now / 1000.0;
            string line = options.App
                ? string.Create(CultureInfo.InvariantCulture, $"gen app: {p.Documents:N0} documents, {p.Bytes / 1e6:N1} MB, {p.Documents / seconds:N0} docs/s")
                : string.Create(CultureInfo.InvariantCulture,
                    $"gen users: {p.Documents:N0} / {options.Count:N0} documents ({100.0 * p.Documents / options.Count:F0}%), {p.Bytes / 1e6:N1} MB, {p.Documents / seconds:N0} docs/s");
            if (ctx.ErrIsTerminal)
            {
                ctx.Err.Write($"\r{line}\x1b[K");
                _lineOpen = true;
            }
            else
            {
                ctx.Err.WriteLine(line);
            }
        }

        public void Summary(GenerationProgress done, string where, long? onDisk)
        {
            if (options.Quiet)
            {
                return;
            }
            if (_lineOpen)
            {
                ctx.Err.WriteLine();
            }
            double seconds = Math.Max(_clock.Elapsed.TotalSeconds, 1e-6);
            string gzip = onDisk is long size ? string.Create(CultureInfo.InvariantCulture, $", {size / 1e6:N1} MB gzip") : "";
            ctx.Err.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"generated {done.Documents:N0} {(options.App ? $"documents in {AppDatabaseGenerator.Collections.Count} collections" : "users")}, {done.Bytes:N0} bytes of BSON{gzip}, in {seconds:F2} s ({done.Documents / seconds:N0} docs/s, {done.Bytes / 1e6 / seconds:N1} MB/s) -> {where}"));
        }
    }
}
