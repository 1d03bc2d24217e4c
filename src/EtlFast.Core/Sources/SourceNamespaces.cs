using MongoDB.Driver;
using System.IO.Compression;
using System.Text.RegularExpressions;
using EtlFast.Core.Sources.Archive;

namespace EtlFast.Core.Sources;

/// <summary>One namespace a dump directory or an archive holds, for a whole-database run to choose from.</summary>
/// <param name="Bytes">The size of its data file (a dump directory's, compressed if gzipped); null when unknown (an archive).</param>
public sealed record SourceNamespace(string Database, string Collection, NamespaceKind Kind, string? ViewOn, long? Bytes)
{
    public string Name => $"{Database}.{Collection}";

    /// <summary>Why a whole-database run leaves it out, or null when it holds documents to load.</summary>
    public string? Skipped => Kind switch
    {
        NamespaceKind.View => $"{Name} is a view{(ViewOn is null ? "" : $" on {Database}.{ViewOn}")}: skipped (it holds no documents; its collection is loaded)",
        NamespaceKind.TimeSeries => $"{Name} is a time-series collection: skipped (loading time-series collections is not supported yet)",
        NamespaceKind.System => $"{Name} is a system collection: skipped",
        _ => null,
    };
}

/// <summary>The namespaces of a source that can list them: a mongodump directory (DIR or DIR/db) or an archive file, plain or gzipped.</summary>
public static class SourceNamespaces
{
    /// <summary>The source's namespaces, or null when it cannot list them (a .bson file, standard input, a live server).</summary>
    public static IReadOnlyList<SourceNamespace>? List(string from)
    {
        ArgumentNullException.ThrowIfNull(from);
        if (Directory.Exists(from))
        {
            string folder = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(from)));
            return [.. DumpDirectory.Scan(from).Namespaces.Select(n => new SourceNamespace(n.Database ?? folder, n.Collection, n.Kind, n.ViewOn,
                n.DataFile is null ? null : new FileInfo(n.DataFile).Length))];
        }
        if (from == "-" || MongoSource.IsMongoUri(from) || !File.Exists(from))
        {
            return null;
        }
        using FileStream file = File.OpenRead(from);
        var head = new byte[4];
        if (file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) < 2)
        {
            return null;
        }
        file.Position = 0;
        using Stream plain = head[0] == 0x1f && head[1] == 0x8b ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: true) : file;
        var magic = new byte[4];
        if (plain.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false) < 4 || !ArchiveFormat.StartsWithMagic(magic))
        {
            return null; // a .bson or .bson.gz: one collection, named by the mapping
        }
        using var rest = new ReplayStream(magic, plain);
        return [.. MongodumpArchive.ReadNamespaces(rest, from).Select(n => new SourceNamespace(n.Database, n.Collection, n.Kind switch
        {
            ArchiveNamespaceKind.View => NamespaceKind.View,
            ArchiveNamespaceKind.TimeSeries => NamespaceKind.TimeSeries,
            ArchiveNamespaceKind.System => NamespaceKind.System,
            _ => NamespaceKind.Collection,
        }, n.ViewOn, null))];
    }
}

/// <summary>The namespaces of a live server: listCollections of one database, or of every database but admin, local and config.</summary>
public static class LiveNamespaces
{
    private static readonly string[] ServerDatabases = ["admin", "local", "config"];

    /// <summary>
    /// What the server at <paramref name="uri"/> holds in <paramref name="databases"/>, or, when that is
    /// empty, in every database of the server's own users (listDatabases). Null, with
    /// <paramref name="unlisted"/> saying why, when the server does not implement listCollections (some
    /// MongoDB-compatible servers do not): then only the collections the mappings name can be loaded.
    /// </summary>
    public static IReadOnlyList<SourceNamespace>? List(string uri, IReadOnlyList<string> databases, CancellationToken cancel, out string? unlisted)
    {
        unlisted = null;
        ArgumentNullException.ThrowIfNull(uri);
        ArgumentNullException.ThrowIfNull(databases);
        (MongoClient client, string hosts, string? password) = MongoSource.ConnectClient(uri, databases.Count > 0 ? databases[0] : "admin", cancel);
        using (client)
        {
            try
            {
                IEnumerable<string> listed = databases.Count > 0
                    ? databases
                    : client.ListDatabaseNames(cancel).ToList(cancel).Where(d => !ServerDatabases.Contains(d));
                var found = new List<SourceNamespace>();
                foreach (string db in listed)
                {
                    foreach (MongoDB.Bson.BsonDocument info in client.GetDatabase(db).ListCollections(cancellationToken: cancel).ToList(cancel))
                    {
                        found.Add(Of(db, info));
                    }
                }
                return found;
            }
            catch (MongoCommandException e) when (MongoErrors.IsNotImplemented(e))
            {
                if (databases.Count == 0)
                {
                    throw new SourceException($"mongodb://{hosts} does not implement {MongoErrors.Unimplemented(e)}, so its databases cannot be listed",
                        "name the database: mongodb://host/DB, -d DB, or \"database\" in each mapping");
                }
                unlisted = $"mongodb://{hosts} does not implement {MongoErrors.Unimplemented(e)}";
                return null;
            }
            catch (Exception e) when (!cancel.IsCancellationRequested && MongoRetry.IsDriverFault(e))
            {
                throw new SourceException($"could not list the collections of mongodb://{hosts}/{string.Join(",", databases)}: {MongoErrors.Brief(e, password)}",
                    databases.Count > 0 ? "check that the user may run listCollections"
                        : "check that the user may run listDatabases, or name the database: mongodb://host/DB, -d DB, or \"database\" in each mapping", connection: true);
            }
        }
    }

    /// <summary>One listCollections entry: its type says view or time series; system.* is the server's.</summary>
    private static SourceNamespace Of(string database, MongoDB.Bson.BsonDocument info)
    {
        string name = info["name"].AsString;
        string type = info.TryGetValue("type", out MongoDB.Bson.BsonValue t) && t.IsString ? t.AsString : "collection";
        string? viewOn = info.TryGetValue("options", out MongoDB.Bson.BsonValue o) && o.IsBsonDocument
            && o.AsBsonDocument.TryGetValue("viewOn", out MongoDB.Bson.BsonValue v) && v.IsString ? v.AsString : null;
        NamespaceKind kind = name.StartsWith("system.", StringComparison.Ordinal) ? NamespaceKind.System
            : type switch { "view" => NamespaceKind.View, "timeseries" => NamespaceKind.TimeSeries, _ => NamespaceKind.Collection };
        return new SourceNamespace(database, name, kind, viewOn, null);
    }
}

/// <summary>
/// mongorestore's namespace selection: <c>--nsInclude</c> and <c>--nsExclude</c> patterns of db.collection
/// where <c>*</c> matches any characters (repeatable); nothing included means everything is.
/// </summary>
public sealed class NamespaceFilter(IReadOnlyList<string> include, IReadOnlyList<string> exclude)
{
    private readonly Regex[] _include = [.. include.Select(Pattern)];
    private readonly Regex[] _exclude = [.. exclude.Select(Pattern)];

    public bool IsEmpty => _include.Length == 0 && _exclude.Length == 0;

    public bool Selects(string ns) => (_include.Length == 0 || _include.Any(r => r.IsMatch(ns))) && !_exclude.Any(r => r.IsMatch(ns));

    private static Regex Pattern(string glob) =>
        new("^" + string.Join(".*", glob.Split('*').Select(Regex.Escape)) + "$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
}
