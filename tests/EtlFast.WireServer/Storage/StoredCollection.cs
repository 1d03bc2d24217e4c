using EtlFast.WireServer.Query;
using MongoDB.Bson;

namespace EtlFast.WireServer.Storage;

/// <summary>
/// One collection: documents kept sorted by `_id` in MongoDB's order, which is what an `_id` index
/// scan returns. A lock per collection is enough for a test server; readers copy out a range.
/// </summary>
internal sealed class StoredCollection
{
    private readonly Lock gate = new();
    private readonly List<StoredDocument> documents = [];

    public StoredCollection(string database, string name)
    {
        Database = database;
        Name = name;
    }

    public string Database { get; }

    public string Name { get; }

    public string Namespace => Database + "." + Name;

    public Guid Uuid { get; } = Guid.NewGuid();

    public int Count
    {
        get
        {
            lock (gate)
            {
                return documents.Count;
            }
        }
    }

    public long TotalBytes
    {
        get
        {
            lock (gate)
            {
                long total = 0;
                foreach (var d in documents)
                {
                    total += d.Bytes.Length;
                }
                return total;
            }
        }
    }

    /// <summary>Inserts one document; false when its `_id` is already taken (1 and 1.0 are the same key).</summary>
    public bool TryInsert(StoredDocument document)
    {
        lock (gate)
        {
            int index = FindIndex(document.Id);
            if (index >= 0)
            {
                return false;
            }
            documents.Insert(~index, document);
            return true;
        }
    }

    /// <summary>The document with this `_id`, or null.</summary>
    public StoredDocument? Get(BsonValue id)
    {
        lock (gate)
        {
            int index = FindIndex(id);
            return index >= 0 ? documents[index] : null;
        }
    }

    /// <summary>Puts <paramref name="document"/> in place of the one with its `_id`; false when there is none.</summary>
    public bool Replace(StoredDocument document)
    {
        lock (gate)
        {
            int index = FindIndex(document.Id);
            if (index < 0)
            {
                return false;
            }
            documents[index] = document;
            return true;
        }
    }

    /// <summary>Removes the document with this `_id`; false when there is none.</summary>
    public bool Delete(BsonValue id)
    {
        lock (gate)
        {
            int index = FindIndex(id);
            if (index < 0)
            {
                return false;
            }
            documents.RemoveAt(index);
            return true;
        }
    }

    /// <summary>Bulk load: append, sort once, then reject duplicates so a bad dump fails loudly.</summary>
    public void AddRange(IEnumerable<StoredDocument> batch)
    {
        lock (gate)
        {
            var before = documents.Count;
            documents.AddRange(batch);
            if (documents.Count == before)
            {
                return;
            }
            // List.Sort is unstable, but equal keys are an error anyway.
            documents.Sort(static (a, b) => BsonOrder.Compare(a.Id, b.Id));
            for (int i = 1; i < documents.Count; i++)
            {
                if (BsonOrder.Compare(documents[i - 1].Id, documents[i].Id) == 0)
                {
                    var duplicate = documents[i].Id;
                    documents.RemoveRange(0, documents.Count);
                    throw new InvalidOperationException(
                        $"duplicate _id {duplicate} in {Namespace}; the collection was emptied, load it again without duplicates");
                }
            }
        }
    }

    /// <summary>The documents whose `_id` lies within the bounds, in `_id` order (a copy).</summary>
    public List<StoredDocument> Range(IdBounds bounds)
    {
        lock (gate)
        {
            int start = 0, end = documents.Count;
            foreach (var lower in bounds.Lower)
            {
                start = Math.Max(start, FirstIndex(d => lower.AdmitsAsLower(d.Id)));
            }
            foreach (var upper in bounds.Upper)
            {
                end = Math.Min(end, FirstIndex(d => !upper.AdmitsAsUpper(d.Id)));
            }
            return end > start ? documents.GetRange(start, end - start) : [];
        }
    }

    public List<StoredDocument> All()
    {
        lock (gate)
        {
            return [.. documents];
        }
    }

    /// <summary>Binary search for the first index where the monotone predicate turns true.</summary>
    private int FirstIndex(Func<StoredDocument, bool> predicate)
    {
        int lo = 0, hi = documents.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (predicate(documents[mid]))
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }
        return lo;
    }

    private int FindIndex(BsonValue id)
    {
        int lo = 0, hi = documents.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            int c = BsonOrder.Compare(documents[mid].Id, id);
            if (c == 0)
            {
                return mid;
            }
            if (c < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return ~lo;
    }
}
