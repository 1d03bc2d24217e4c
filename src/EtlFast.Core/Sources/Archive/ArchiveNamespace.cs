namespace EtlFast.Core.Sources.Archive;

/// <summary>What a namespace of an archive is, as far as its prelude metadata tells.</summary>
public enum ArchiveNamespaceKind
{
    Collection,
    View,
    TimeSeries,
    /// <summary>A system.* collection (system.version, system.views, system.users, ...).</summary>
    System,
}

/// <summary>One namespace listed in an archive's prelude.</summary>
/// <param name="ViewOn">For a view, the collection it is defined on (from its metadata), when the metadata names it.</param>
/// <param name="Metadata">Its metadata, the text of the metadata.json mongodump would write (indexes, options), when the prelude holds it.</param>
public sealed record ArchiveNamespace(string Database, string Collection, ArchiveNamespaceKind Kind, string? ViewOn, string? Metadata = null)
{
    public string Name => $"{Database}.{Collection}";

    /// <summary>The collection its documents are stored under in data blocks: a time-series collection's are its buckets.</summary>
    public string DataCollection => Kind == ArchiveNamespaceKind.TimeSeries ? ArchiveFormat.BucketsPrefix + Collection : Collection;

    /// <summary>How a list of namespaces shows this one: db.collection, and its kind unless a plain collection.</summary>
    public string Describe() => Kind switch
    {
        ArchiveNamespaceKind.View => ViewOn is null ? $"{Name} (view)" : $"{Name} (view on {ViewOn})",
        ArchiveNamespaceKind.TimeSeries => $"{Name} (time-series)",
        ArchiveNamespaceKind.System => $"{Name} (system collection)",
        _ => Name,
    };
}
