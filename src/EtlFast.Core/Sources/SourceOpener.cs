using EtlFast.Core.Sources.Archive;

namespace EtlFast.Core.Sources;

/// <summary>A readable BSON stream, how to name it in messages, and how far it has been read.</summary>
/// <param name="Database">The database the collection was found in (a dump directory's folder, an archive's
/// namespace), when the source says; infer writes it into the mapping it proposes.</param>
/// <param name="Metadata">The collection's mongodump metadata (metadata.json's text: indexes, options), when the source holds it.</param>
public sealed record OpenedSource(Stream Stream, string DisplayName, ReadMeter Meter, string? Database = null, string? Metadata = null);

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
            return OpenStdin(new BufferedStream(stdin(), 1 << 20), database, collection);
        }
        string path = from;
        string? metadata = null;
        if (Directory.Exists(from))
        {
            DumpNamespace found = DumpDirectory.Scan(from).Find(database, collection, chooseHint);
            path = found.DataFile!;
            database ??= found.Database;
            metadata = DumpDirectory.MetadataText(found.MetadataFile);
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
            return Opened(MongodumpArchive.SelectIfArchive(gunzipped, path, true, database, collection, drainAtEnd: false), path, compressed, database, metadata);
        }
        var meter = new ReadMeter(file.Length, compressed: false);
        return Opened(MongodumpArchive.SelectIfArchive(new MeteredStream(file, meter), path, false, database, collection, drainAtEnd: false), path, meter, database, metadata);
    }

    /// <summary>Standard input: raw BSON or an archive, either of them gzipped (recognised by gzip's magic number, as gunzip would).</summary>
    private static OpenedSource OpenStdin(Stream stdin, string? database, string collection)
    {
        const string name = "standard input";
        var head = new byte[2];
        int got = stdin.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        Stream input = new ReplayStream(head.AsMemory(0, got), stdin);
        if (got == 2 && head[0] == 0x1F && head[1] == 0x8B)
        {
            var compressed = new ReadMeter(null, compressed: true);
            Stream gunzipped = new BufferedStream(GunzipStream.Open(input, name, compressed), 1 << 20);
            return Opened(MongodumpArchive.SelectIfArchive(gunzipped, name, true, database, collection, drainAtEnd: true), name, compressed, database);
        }
        var plain = new ReadMeter(null, compressed: false);
        return Opened(MongodumpArchive.SelectIfArchive(new MeteredStream(input, plain), name, false, database, collection, drainAtEnd: true), name, plain, database);
    }

    /// <summary>An archive names the database of the namespace it selected; a raw .bson file names none.</summary>
    private static OpenedSource Opened(Stream stream, string name, ReadMeter meter, string? database, string? metadata = null) => stream is NamespaceStream ns
        ? new(stream, name, meter, ns.Database, ns.Metadata)
        : new(stream, name, meter, database, metadata);
}

/// <summary>The source cannot be opened or read as given.</summary>
public sealed class SourceException(string message, string? hint = null, bool connection = false) : Exception(message)
{
    public string? Hint { get; } = hint;

    /// <summary>True when the source could not be reached (exit code 3) rather than given wrongly.</summary>
    public bool IsConnection { get; } = connection;
}
