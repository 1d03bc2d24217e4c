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
    /// <summary>How a load names the database of a collection found in several databases of a dump.</summary>
    public const string LoadDatabaseHint = "set \"database\" in the mapping, or pass -d/--db NAME";

    /// <summary>How infer, which has no mapping, names it.</summary>
    public const string InferDatabaseHint = "pass -d/--db NAME to choose the database";

    /// <param name="chooseHint">How the command at hand names a database (<see cref="LoadDatabaseHint"/>, <see cref="InferDatabaseHint"/>).</param>
    public static OpenedSource Open(string from, string? database, string collection, Func<Stream> stdin, string chooseHint)
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
            path = DumpDirectory.Scan(from).Find(database, collection, chooseHint).DataFile!;
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
}

/// <summary>The source cannot be opened or read as given.</summary>
public sealed class SourceException(string message, string? hint = null, bool connection = false) : Exception(message)
{
    public string? Hint { get; } = hint;

    /// <summary>True when the source could not be reached (exit code 3) rather than given wrongly.</summary>
    public bool IsConnection { get; } = connection;
}
