using EtlFast.Core.Sources.Archive;

namespace EtlFast.Core.Sources;

/// <summary>A readable BSON stream, how to name it in messages, and how far it has been read.</summary>
public sealed record OpenedSource(Stream Stream, string DisplayName, ReadMeter Meter);

/// <summary>
/// Resolves <c>--from</c>: a .bson or .bson.gz file, a mongodump directory, or "-" for stdin. A file or
/// stdin that holds a mongodump archive (recognised by its content) yields the selected namespace's documents.
/// </summary>
public static class SourceOpener
{
    public static OpenedSource Open(string from, string? database, string collection, Func<Stream> stdin)
    {
        if (from == "-")
        {
            var unknown = new ReadMeter(null, compressed: false);
            Stream input = new MeteredStream(new BufferedStream(stdin(), 1 << 20), unknown);
            return new OpenedSource(MongodumpArchive.SelectIfArchive(input, "standard input", false, database, collection, drainAtEnd: true), "standard input", unknown);
        }
        string path = from;
        if (Directory.Exists(from))
        {
            path = FindInDump(from, database, collection);
        }
        else if (!File.Exists(from))
        {
            throw new SourceException($"source \"{from}\" does not exist",
                "give a .bson or .bson.gz file, a mongodump output directory or archive, or - for standard input");
        }
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
        {
            // Metered below the decompressor: the compressed size is the only total known in advance.
            var compressed = new ReadMeter(file.Length, compressed: true);
            Stream gunzipped = new BufferedStream(GunzipStream.Open(file, path, compressed), 1 << 20);
            return new OpenedSource(MongodumpArchive.SelectIfArchive(gunzipped, path, true, database, collection, drainAtEnd: false), path, compressed);
        }
        var meter = new ReadMeter(file.Length, compressed: false);
        return new OpenedSource(MongodumpArchive.SelectIfArchive(new MeteredStream(file, meter), path, false, database, collection, drainAtEnd: false), path, meter);
    }

    /// <summary>mongodump writes DIR/db/collection.bson[.gz] (or DIR/collection.bson when given a database directory).</summary>
    private static string FindInDump(string dir, string? database, string collection)
    {
        var candidates = new List<string>();
        foreach (string name in new[] { collection + ".bson", collection + ".bson.gz" })
        {
            if (database is not null)
            {
                candidates.Add(Path.Combine(dir, database, name));
            }
            candidates.Add(Path.Combine(dir, name));
        }
        foreach (string c in candidates)
        {
            if (File.Exists(c))
            {
                return c;
            }
        }
        string[] found = Directory.GetFiles(dir, collection + ".bson*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".bson", StringComparison.Ordinal) || f.EndsWith(".bson.gz", StringComparison.Ordinal))
            .ToArray();
        if (found.Length == 1)
        {
            return found[0];
        }
        if (found.Length > 1)
        {
            throw new SourceException($"mongodump directory \"{dir}\" holds several files for collection \"{collection}\": {string.Join(", ", found)}",
                "set \"database\" in the mapping, or point --from at one file");
        }
        throw new SourceException($"mongodump directory \"{dir}\" has no {collection}.bson or {collection}.bson.gz",
            $"the mapping names collection \"{collection}\"{(database is null ? "" : $" of database \"{database}\"")}; check --from and the mapping");
    }
}

/// <summary>The source cannot be opened or read as given.</summary>
public sealed class SourceException(string message, string? hint = null, bool connection = false) : Exception(message)
{
    public string? Hint { get; } = hint;

    /// <summary>True when the source could not be reached (exit code 3) rather than given wrongly.</summary>
    public bool IsConnection { get; } = connection;
}
