using System.Collections.Concurrent;

namespace EtlFast.WireServer.Storage;

/// <summary>All collections, keyed "db.collection".</summary>
internal sealed class Store
{
    private readonly ConcurrentDictionary<string, StoredCollection> collections = new(StringComparer.Ordinal);

    public StoredCollection GetOrCreate(string database, string collection) =>
        collections.GetOrAdd(database + "." + collection, _ => new StoredCollection(database, collection));

    /// <summary>Creates the collection; false when it exists already.</summary>
    public bool TryCreate(string database, string collection) =>
        collections.TryAdd(database + "." + collection, new StoredCollection(database, collection));

    public StoredCollection? Find(string database, string collection) =>
        collections.TryGetValue(database + "." + collection, out var c) ? c : null;

    public bool Drop(string database, string collection) =>
        collections.TryRemove(database + "." + collection, out _);

    /// <summary>Collections of one database, by name.</summary>
    public List<StoredCollection> Collections(string database)
    {
        var list = new List<StoredCollection>();
        foreach (var c in collections.Values)
        {
            if (c.Database == database)
            {
                list.Add(c);
            }
        }
        list.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return list;
    }

    public List<string> Databases()
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var c in collections.Values)
        {
            names.Add(c.Database);
        }
        return [.. names];
    }
}
