namespace EtlFast.Core.Sources.Archive;

/// <summary>
/// Recognises a mongodump archive (mongodump --archive, plain or, decompressed, --gzip) by its magic number
/// and selects the namespace to load; anything else passes through as the BSON stream it is.
/// </summary>
public static class MongodumpArchive
{
    /// <summary>
    /// The stream of documents to chunk: <paramref name="stream"/> itself (its first bytes put back) when it
    /// does not start with the archive magic number, else the documents of the namespace that
    /// <paramref name="database"/> (optional) and <paramref name="collection"/> select. Reads the prelude
    /// here, so a namespace that is missing, ambiguous, a view or time-series is refused before anything is loaded.
    /// </summary>
    /// <param name="compressed">True when <paramref name="stream"/> is decompressed from a .gz (offsets are then said to be decompressed).</param>
    /// <param name="drainAtEnd">Read the archive to its end after the namespace (for a pipe: mongodump must not be cut off).</param>
    public static Stream SelectIfArchive(Stream stream, string displayName, bool compressed, string? database, string collection, bool drainAtEnd)
    {
        var head = new byte[4];
        int got = 0;
        try
        {
            got = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        catch (EtlFast.Bson.BsonException e)
        {
            // A damaged .gz found while peeking: reported where it is read, as for any .gz, after the open.
            return new ReplayStream(head.AsMemory(0, 0), stream) { Fault = e };
        }
        var replay = new ReplayStream(head.AsMemory(0, got), stream);
        if (!ArchiveFormat.StartsWithMagic(head.AsSpan(0, got)))
        {
            return replay;
        }
        var input = new ArchiveInput(replay, displayName, compressed);
        try
        {
            List<ArchiveNamespace> namespaces = ArchivePrelude.Read(input);
            ArchiveNamespace selected = Select(namespaces, displayName, database, collection);
            return new NamespaceStream(input, namespaces, selected, drainAtEnd);
        }
        catch
        {
            input.Dispose();
            throw;
        }
    }

    /// <summary>The namespaces an archive's prelude lists (for tools and tests); reads no further.</summary>
    public static IReadOnlyList<ArchiveNamespace> ReadNamespaces(Stream archive, string displayName)
    {
        using var input = new ArchiveInput(archive, displayName, compressed: false);
        return ArchivePrelude.Read(input);
    }

    private static ArchiveNamespace Select(List<ArchiveNamespace> namespaces, string displayName, string? database, string collection)
    {
        string held = namespaces.Count == 0 ? "nothing (its prelude lists no namespace)" : string.Join(", ", namespaces.Select(n => n.Describe()));
        List<ArchiveNamespace> matches = namespaces
            .Where(n => n.Collection == collection && (database is null || n.Database == database))
            .ToList();
        if (matches.Count == 0)
        {
            string wanted = database is null ? $"collection \"{collection}\"" : $"namespace {database}.{collection}";
            throw new SourceException($"mongodump archive {displayName} has no {wanted}; it holds: {held}",
                "name one of these with the mapping's \"database\" and \"collection\", or -d/--db and -c/--collection");
        }
        if (matches.Count > 1)
        {
            throw new SourceException(
                $"mongodump archive {displayName} holds collection \"{collection}\" in several databases: {string.Join(", ", matches.Select(n => n.Name))}",
                "choose one with -d/--db or the mapping's \"database\"");
        }
        ArchiveNamespace ns = matches[0];
        return ns.Kind switch
        {
            ArchiveNamespaceKind.View => throw new SourceException(
                $"{ns.Name} in {displayName} is a view{(ns.ViewOn is null ? "" : $" on {ns.Database}.{ns.ViewOn}")}, it holds no documents",
                ns.ViewOn is null ? "load the collection it is defined on" : $"load the collection it is defined on: -c {ns.ViewOn}"),
            ArchiveNamespaceKind.TimeSeries => throw new SourceException(
                $"{ns.Name} in {displayName} is a time-series collection: loading time-series collections is not supported yet",
                $"the archive holds it as buckets ({ns.Database}.{ns.DataCollection}), not as its measurements; export the measurements from MongoDB instead (e.g. mongoexport, or an aggregation with $out into a plain collection, then mongodump that)"),
            _ => ns,
        };
    }
}

/// <summary>A stream whose first bytes, already read to look at them, are handed out again before the rest.</summary>
internal sealed class ReplayStream(ReadOnlyMemory<byte> head, Stream rest) : ForwardOnlyReadStream(rest)
{
    private ReadOnlyMemory<byte> _head = head;

    /// <summary>Thrown by every read: the stream failed while its first bytes were looked at.</summary>
    public EtlFast.Bson.BsonException? Fault { get; init; }

    public override int Read(Span<byte> buffer)
    {
        if (Fault is not null)
        {
            throw Fault;
        }
        if (_head.IsEmpty)
        {
            return rest.Read(buffer);
        }
        int n = Math.Min(_head.Length, buffer.Length);
        _head.Span[..n].CopyTo(buffer);
        _head = _head[n..];
        return n;
    }
}
