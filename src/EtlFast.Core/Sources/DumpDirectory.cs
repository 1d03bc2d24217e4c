using System.IO.Compression;
using System.Text.Json;

namespace EtlFast.Core.Sources;

/// <summary>What a namespace of a dump holds, as its metadata.json tells.</summary>
public enum NamespaceKind
{
    /// <summary>A collection with documents of its own.</summary>
    Collection,

    /// <summary>A view: a stored pipeline over another collection, no documents of its own.</summary>
    View,

    /// <summary>A time-series collection, whose documents mongodump writes as system.buckets.NAME.</summary>
    TimeSeries,

    /// <summary>A system.* collection (users, roles, views, buckets): skipped unless asked for by name.</summary>
    System,
}

/// <summary>One namespace of a mongodump directory: its files and what it is.</summary>
/// <param name="Database">The database folder it sits in, or null for a file at the top of a database's folder.</param>
/// <param name="DataFile">The .bson or .bson.gz file, or null when only metadata was dumped (a view).</param>
/// <param name="ViewOn">For a view, the collection it reads.</param>
/// <param name="Conflict">Both users.bson and users.bson.gz: the two files, which cannot both be meant.</param>
public sealed record DumpNamespace(string? Database, string Collection, string? DataFile, string? MetadataFile,
    NamespaceKind Kind, string? ViewOn, string? Conflict)
{
    /// <summary>db.collection as mongorestore's --nsInclude spells it (the collection alone when the folder is the database's).</summary>
    public string Name => Database is null ? Collection : $"{Database}.{Collection}";
}

/// <summary>
/// A mongodump output directory (DIR/db/collection.bson[.gz] with collection.metadata.json[.gz]), or one
/// database's folder of it (DIR/collection.bson). Every lookup of a collection in a dump goes through here,
/// so a collection is never taken from a database other than the one asked for.
/// </summary>
public sealed class DumpDirectory
{
    private DumpDirectory(string root, IReadOnlyList<DumpNamespace> namespaces)
    {
        Root = root;
        Namespaces = namespaces;
    }

    public string Root { get; }

    /// <summary>Every namespace found, ordered by database then collection.</summary>
    public IReadOnlyList<DumpNamespace> Namespaces { get; }

    /// <summary>The namespaces a whole-dump run would load: collections with data, no views, buckets or system.*.</summary>
    public IEnumerable<DumpNamespace> Collections => Namespaces.Where(n => n.Kind == NamespaceKind.Collection);

    public static DumpDirectory Scan(string root)
    {
        var found = new List<DumpNamespace>();
        AddFolder(found, root, null);
        foreach (string sub in Directory.GetDirectories(root).Order(StringComparer.Ordinal))
        {
            AddFolder(found, sub, Path.GetFileName(sub));
        }
        return new DumpDirectory(root, found.OrderBy(n => n.Database ?? "", StringComparer.Ordinal).ThenBy(n => n.Collection, StringComparer.Ordinal).ToList());
    }

    /// <summary>
    /// The namespace a load or infer reads. With a database, only that database's folder (or a file at the top of
    /// a database's folder) answers; without one, the collection must be unique in the dump.
    /// </summary>
    /// <param name="chooseHint">How the user names the database with the command at hand.</param>
    public DumpNamespace Find(string? database, string collection, string chooseHint)
    {
        var named = Namespaces.Where(n => n.Collection == collection).ToList();
        DumpNamespace? hit = database is null
            ? (named.Count == 1 ? named[0] : null)
            : named.FirstOrDefault(n => n.Database == database) ?? named.FirstOrDefault(n => n.Database is null);
        if (hit is null && database is null && named.Count > 1)
        {
            throw new SourceException($"mongodump directory \"{Root}\" holds collection \"{collection}\" in {named.Count} databases: {string.Join(", ", named.Select(n => n.Name))}",
                chooseHint);
        }
        if (hit is null)
        {
            string wanted = database is null ? collection : $"{database}.{collection}";
            string elsewhere = named.Count == 0 ? "" : $"; it holds {string.Join(", ", named.Select(n => n.Name))}";
            throw new SourceException($"mongodump directory \"{Root}\" has no collection {wanted}{elsewhere}",
                named.Count > 0 ? chooseHint
                : Namespaces.Count == 0 ? "it holds no .bson or .bson.gz file; mongodump writes DIR/db/collection.bson, point --from at DIR or DIR/db"
                : $"it holds {Listing(Namespaces)}; check --from and the collection's name");
        }
        return Usable(hit);
    }

    /// <summary>The one collection of the dump (of <paramref name="database"/> when given), for a command that was not told which.</summary>
    public DumpNamespace Single(string? database, string chooseHint)
    {
        var all = Collections.Where(n => database is null || n.Database == database || n.Database is null).ToList();
        if (all.Count == 1)
        {
            return Usable(all[0]);
        }
        string where = database is null ? "" : $" for database \"{database}\"";
        throw new SourceException(all.Count == 0
                ? $"mongodump directory \"{Root}\" holds no collection{where}{(Namespaces.Count == 0 ? " (no .bson or .bson.gz file)" : $"; it holds {Listing(Namespaces)}")}"
                : $"mongodump directory \"{Root}\" holds {all.Count} collections{where}: {Listing(all)}",
            chooseHint);
    }

    private static DumpNamespace Usable(DumpNamespace n)
    {
        if (n.Conflict is not null)
        {
            throw new SourceException($"collection {n.Name} is dumped twice: {n.Conflict}",
                "remove the one that is not meant, or point --from at one file");
        }
        return n.Kind switch
        {
            NamespaceKind.View => throw new SourceException($"{n.Name} is a view on \"{n.ViewOn}\"; it holds no documents of its own",
                $"load the collection it reads ({n.ViewOn}) with a mapping of its own"),
            NamespaceKind.TimeSeries => throw new SourceException($"{n.Name} is a time-series collection; etlfast cannot load time-series buckets yet",
                "load it from a live server, where it reads as plain documents, or export it as a plain collection first"),
            _ when n.DataFile is null => throw new SourceException($"collection {n.Name} has metadata ({n.MetadataFile}) but no .bson or .bson.gz file",
                "the dump is incomplete; dump the collection again"),
            _ => n,
        };
    }

    private static string Listing(IEnumerable<DumpNamespace> namespaces)
    {
        var names = namespaces.Select(n => n.Kind switch
        {
            NamespaceKind.View => $"{n.Name} (view)",
            NamespaceKind.TimeSeries => $"{n.Name} (time-series)",
            NamespaceKind.System => $"{n.Name} (system)",
            _ => n.Name,
        }).ToList();
        return names.Count == 0 ? "nothing" : string.Join(", ", names.Take(20)) + (names.Count > 20 ? $", ... ({names.Count} in all)" : "");
    }

    private static void AddFolder(List<DumpNamespace> found, string folder, string? database)
    {
        var data = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string file in Directory.GetFiles(folder).Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(file);
            if ((Strip(name, ".metadata.json.gz") ?? Strip(name, ".metadata.json")) is { } m)
            {
                metadata.TryAdd(m, file);
            }
            else if ((Strip(name, ".bson.gz") ?? Strip(name, ".bson")) is { } d)
            {
                (data.TryGetValue(d, out var list) ? list : data[d] = []).Add(file);
            }
        }
        foreach (string stem in data.Keys.Union(metadata.Keys).Order(StringComparer.Ordinal))
        {
            data.TryGetValue(stem, out var files);
            metadata.TryGetValue(stem, out string? meta);
            var (kind, viewOn, collectionName) = Describe(meta);
            string collection = collectionName ?? Uri.UnescapeDataString(stem);
            // system.* (and the system.buckets.NAME that holds a time-series), and the oplog.bson that
            // mongodump --oplog writes beside the database folders, are not collections of the application.
            if (kind == NamespaceKind.Collection && (collection.StartsWith("system.", StringComparison.Ordinal) || (database is null && meta is null && stem == "oplog")))
            {
                kind = NamespaceKind.System;
            }
            found.Add(new DumpNamespace(database, collection, files?[0], meta, kind, viewOn,
                files is { Count: > 1 } ? string.Join(" and ", files) : null));
        }
    }

    private static string? Strip(string name, string suffix) =>
        name.Length > suffix.Length && name.EndsWith(suffix, StringComparison.Ordinal) ? name[..^suffix.Length] : null;

    /// <summary>The text of a metadata.json[.gz] (for the indexes infer proposes); null when there is none or it cannot be read.</summary>
    public static string? MetadataText(string? metadataFile)
    {
        if (metadataFile is null)
        {
            return null;
        }
        try
        {
            using Stream file = File.OpenRead(metadataFile);
            using Stream text = metadataFile.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionMode.Decompress) : file;
            using var reader = new StreamReader(text);
            return reader.ReadToEnd();
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            return null; // Scan read it a moment ago; what it would say about indexes is not worth stopping for
        }
    }

    /// <summary>Reads a metadata.json[.gz]: its "type", a view's "options.viewOn", and the true "collectionName" (file names are escaped).</summary>
    private static (NamespaceKind Kind, string? ViewOn, string? CollectionName) Describe(string? metadataFile)
    {
        if (metadataFile is null)
        {
            return (NamespaceKind.Collection, null, null);
        }
        try
        {
            using Stream file = File.OpenRead(metadataFile);
            using Stream text = metadataFile.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionMode.Decompress) : file;
            using JsonDocument json = JsonDocument.Parse(text);
            JsonElement root = json.RootElement;
            string? type = root.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            string? name = root.TryGetProperty("collectionName", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
            JsonElement options = root.TryGetProperty("options", out var o) && o.ValueKind == JsonValueKind.Object ? o : default;
            string? viewOn = options.ValueKind == JsonValueKind.Object && options.TryGetProperty("viewOn", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            bool timeseries = options.ValueKind == JsonValueKind.Object && options.TryGetProperty("timeseries", out _);
            NamespaceKind kind = type == "view" || viewOn is not null ? NamespaceKind.View
                : type == "timeseries" || timeseries ? NamespaceKind.TimeSeries
                : NamespaceKind.Collection;
            return (kind, viewOn, string.IsNullOrEmpty(name) ? null : name);
        }
        catch (Exception e) when (e is JsonException or IOException or InvalidDataException or UnauthorizedAccessException)
        {
            throw new SourceException($"cannot read mongodump metadata \"{metadataFile}\": {e.Message}",
                "the dump is damaged; dump the collection again, or remove the metadata file to load the .bson as a plain collection");
        }
    }
}
