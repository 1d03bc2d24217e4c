using System.Text;
using EtlFast.Core.Mapping;
using EtlFast.Core.Plan;
using EtlFast.Core.Sources;

namespace EtlFast.Core.Inference;

/// <summary>What <c>etlfast infer</c> reads: the source and how much of it.</summary>
public sealed record InferOptions
{
    public required string From { get; init; }

    public int SampleSize { get; init; } = Sampler.DefaultSize;

    public string? Database { get; init; }

    public string? Collection { get; init; }

    /// <summary>Standard input, for <c>--from -</c>.</summary>
    public required Func<Stream> OpenStdin { get; init; }

    /// <summary>Tables the other mappings of a whole-database load use, which this mapping must not name.</summary>
    public IReadOnlyCollection<string> TakenTables { get; init; } = [];
}

/// <summary>The proposed mapping, its text, and what it was inferred from.</summary>
public sealed record InferResult(InferredLayout Layout, string Text, long Documents, long Bytes, string Sample);

/// <summary>The sample holds nothing to infer from (exit code 4, like corrupt data).</summary>
public sealed class InferException(string message, string? hint = null) : Exception(message)
{
    public string? Hint { get; } = hint;
}

/// <summary>
/// <c>etlfast infer</c> without the command line: resolves the collection, samples the source, plans
/// the tables and writes the mapping, then reads that mapping back with the loader's own parser and
/// plan compiler, so what it hands out is a mapping <c>etlfast load</c> accepts.
/// </summary>
public static class Inferrer
{
    public static InferResult Run(InferOptions options, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(options);
        SampleWalker walker;
        IReadOnlyList<SourceIndex> indexes;
        string collection;
        string? database = options.Database;
        string sample;
        if (MongoSource.IsMongoUri(options.From))
        {
            database ??= UriDatabase(options.From);
            if (string.IsNullOrEmpty(database))
            {
                throw new SourceException("no MongoDB database to sample: neither -d/--db nor the connection string names one", "pass -d/--db NAME");
            }
            collection = options.Collection
                ?? throw new SourceException("no MongoDB collection to sample", "pass -c/--collection NAME");
            (walker, sample, indexes) = Sampler.FromMongo(options.From, database, collection, options.SampleSize, cancel);
        }
        else
        {
            (collection, database) = FileCollection(options.From, options.Collection, database);
            OpenedSource source = SourceOpener.Open(options.From, database, collection, options.OpenStdin, SourceOpener.InferDatabaseHint);
            database = source.Database;
            indexes = SourceIndexes.FromMetadata(source.Metadata);
            walker = new SampleWalker();
            sample = Sampler.FromStream(source, options.SampleSize, walker, cancel);
        }
        if (walker.Documents == 0)
        {
            throw new InferException($"nothing to infer a mapping from: {sample}",
                "point --from at a non-empty .bson file, dump directory or collection");
        }
        InferredLayout layout = LayoutPlanner.Plan(walker, collection, database, options.TakenTables);
        SourceIndexes.Propose(layout, indexes);
        string text = MappingWriter.Write(layout, sample);
        try
        {
            MappingDocument parsed = MappingParser.Parse(Encoding.UTF8.GetBytes(text), "inferred mapping");
            PlanCompiler.Compile(parsed, null);
        }
        catch (MappingException e)
        {
            throw new InvalidOperationException($"etlfast infer wrote a mapping the loader refuses (a bug in infer): {e.Message}", e);
        }
        return new InferResult(layout, text, walker.Documents, walker.Bytes, sample);
    }

    private static string? UriDatabase(string uri)
    {
        try
        {
            return MongoDB.Driver.MongoUrl.Create(uri).DatabaseName;
        }
        catch (Exception e) when (e is MongoDB.Driver.MongoConfigurationException or ArgumentException or FormatException)
        {
            return null; // the connection reports the malformed URI with its own message
        }
    }

    /// <summary>
    /// The collection a file source holds: -c, else the file name (<c>users.bson.gz</c> → users), else the
    /// one collection of a dump directory; the database: -d, else the dump directory's folder for it.
    /// </summary>
    private static (string Collection, string? Database) FileCollection(string from, string? collection, string? database)
    {
        if (from == "-")
        {
            return (collection ?? throw new SourceException("reading standard input, infer needs the collection's name",
                "pass -c/--collection NAME (it becomes the mapping's \"collection\" and the main table's name)"), database);
        }
        if (Directory.Exists(from))
        {
            if (collection is not null)
            {
                return (collection, database);
            }
            DumpNamespace only = DumpDirectory.Scan(from).Single(database, "pass -c/--collection NAME (and -d/--db NAME) to pick one, or point --from at one file");
            return (only.Collection, database ?? only.Database);
        }
        return (collection ?? CollectionOf(from), database);
    }

    private static string CollectionOf(string file)
    {
        string name = Path.GetFileName(file);
        foreach (string ext in new[] { ".bson.gz", ".bson", ".gz" })
        {
            if (name.EndsWith(ext, StringComparison.OrdinalIgnoreCase) && name.Length > ext.Length)
            {
                return name[..^ext.Length];
            }
        }
        return name.Length > 0 ? name : "documents";
    }
}
