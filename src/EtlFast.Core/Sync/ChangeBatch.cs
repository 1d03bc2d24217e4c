using EtlFast.Bson;

namespace EtlFast.Core.Sync;

/// <summary>
/// The document changes of one batch, reduced to the last state of each document: only the last event
/// per <c>_id</c> counts (an insert then a delete is a delete; two updates are the second's full
/// document), since applying a batch replaces each changed document's rows whole.
/// </summary>
public sealed class ChangeBatch
{
    private readonly Dictionary<string, int> _byId = new(StringComparer.Ordinal);
    private readonly List<Change> _changes = [];

    /// <summary>One document's last state in the batch.</summary>
    /// <param name="Key">A BSON document holding the document's <c>_id</c> (a change event's documentKey).</param>
    /// <param name="Document">The whole document after the change, or null when it was deleted.</param>
    public readonly record struct Change(byte[] Key, byte[]? Document);

    /// <summary>The documents changed, each once, in the order of their first change in the batch.</summary>
    public IReadOnlyList<Change> Changes => _changes;

    /// <summary>How many events were added (before reduction).</summary>
    public int Events { get; private set; }

    public int Count => _changes.Count;

    /// <summary>Records that the document with key <paramref name="key"/> is now <paramref name="document"/> (null: deleted).</summary>
    public void Add(byte[] key, byte[]? document)
    {
        ArgumentNullException.ThrowIfNull(key);
        string id = IdentityOf(key);
        Events++;
        if (_byId.TryGetValue(id, out int at))
        {
            _changes[at] = new Change(key, document);
            return;
        }
        _byId[id] = _changes.Count;
        _changes.Add(new Change(key, document));
    }

    public void Clear()
    {
        _byId.Clear();
        _changes.Clear();
        Events = 0;
    }

    /// <summary>The <c>_id</c> element's type and bytes, as text: equal for the same _id, whatever else the key holds.</summary>
    private static string IdentityOf(byte[] key)
    {
        BsonReader reader = BsonReader.Create(key);
        if (reader.ReadTo("_id"u8))
        {
            return $"{(int)reader.Type}:{Convert.ToHexString(reader.ValueBytes)}";
        }
        throw new ArgumentException("the document key has no _id", nameof(key));
    }
}
