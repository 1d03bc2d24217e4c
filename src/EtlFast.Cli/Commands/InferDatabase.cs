using EtlFast.Core.Inference;
using EtlFast.Core.Sources;

namespace EtlFast.Cli.Commands;

/// <summary>
/// <c>etlfast infer --from SOURCE -o DIR</c>: one mapping per collection of a mongodump directory, an
/// archive or a live database, written as DIR/COLLECTION.json (DIR/DB.COLLECTION.json when the source
/// holds several databases), ready for <c>etlfast load --mapping DIR</c>.
/// </summary>
internal static class InferDatabase
{
    public static int Run(InferOptions options, string dir, bool quiet, CliContext ctx)
    {
        string from = options.From;
        IReadOnlyList<SourceNamespace>? held;
        string? unlisted = null;
        try
        {
            if (MongoSource.IsMongoUri(from))
            {
                string? db = options.Database ?? MongoDB.Driver.MongoUrl.Create(from).DatabaseName;
                held = LiveNamespaces.List(from, db is null ? [] : [db], ctx.Cancellation, out unlisted);
            }
            else
            {
                held = SourceNamespaces.List(from);
            }
        }
        catch (SourceException e)
        {
            ctx.Error(e.Message, hint: e.Hint);
            return e.IsConnection ? ExitCodes.Connection : ExitCodes.Usage;
        }
        if (unlisted is not null)
        {
            throw new UsageException($"{unlisted}, so its collections cannot be listed", "infer each collection with -c NAME -o DIR/NAME.json");
        }
        if (held is null)
        {
            throw new UsageException($"{(from == "-" ? "standard input" : from)} holds one collection: -o DIR writes one mapping per collection of a mongodump directory, an archive or a live database",
                "give -o a file name, e.g. -o mapping.json");
        }
        List<SourceNamespace> chosen = [.. held.Where(n => options.Database is null || n.Database == options.Database).OrderBy(n => n.Name, StringComparer.Ordinal)];
        bool severalDatabases = chosen.Select(n => n.Database).Distinct(StringComparer.Ordinal).Count() > 1;
        Directory.CreateDirectory(dir);
        int written = 0;
        var tables = new HashSet<string>(StringComparer.Ordinal); // one load takes every mapping: no two may share a table
        foreach (SourceNamespace ns in chosen)
        {
            if (ns.Skipped is { } why)
            {
                if (!quiet)
                {
                    ctx.Err.WriteLine($"etlfast: {why}");
                }
                continue;
            }
            int? failed = InferCommand.TryInfer(options with { Database = ns.Database, Collection = ns.Collection, TakenTables = tables }, ctx, out InferResult? result);
            if (failed is { } code)
            {
                ctx.Err.WriteLine($"etlfast: stopped at {ns.Name}; {written} mapping{(written == 1 ? "" : "s")} written before it stay in {dir}");
                return code;
            }
            string name = (severalDatabases ? $"{ns.Database}.{ns.Collection}" : ns.Collection).Replace('/', '_');
            string path = Path.Combine(dir, name + ".json");
            if (!InferCommand.WriteAtomically(path, result!.Text, ctx))
            {
                return ExitCodes.Data;
            }
            written++;
            tables.UnionWith(result.Layout.Tables.Select(t => t.Name));
            if (!quiet)
            {
                ctx.Err.WriteLine($"== {ns.Name}");
                InferCommand.Report(ctx.Err, result, path);
            }
        }
        if (written == 0)
        {
            throw new UsageException($"{(MongoSource.IsMongoUri(from) ? "the server" : from)} holds no collection to infer{(options.Database is null ? "" : $" in database {options.Database}")}",
                "check --from and -d");
        }
        if (!quiet)
        {
            ctx.Err.WriteLine($"etlfast: {written} mapping{(written == 1 ? "" : "s")} written to {dir}; review them, add \"references\" between collections, then: etlfast load --from SOURCE --mapping {dir}");
        }
        return ExitCodes.Ok;
    }
}
