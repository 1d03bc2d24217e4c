using MongoDB.Bson;

namespace EtlFast.WireServer.Query;

/// <summary>A sort on top-level fields, ascending (1) or descending (-1), in MongoDB's value order.</summary>
internal sealed class SortSpec
{
    private readonly List<(string Field, int Direction)> keys = [];

    private SortSpec()
    {
    }

    public bool IsEmpty => keys.Count == 0;

    /// <summary>1 when the sort is exactly {_id: 1}, -1 for {_id: -1}, 0 otherwise: the index order needs no sort.</summary>
    public int IdOnlyDirection => keys.Count == 1 && keys[0].Field == "_id" ? keys[0].Direction : 0;

    public static SortSpec Compile(BsonDocument? spec, string what)
    {
        var sort = new SortSpec();
        if (spec is null)
        {
            return sort;
        }
        foreach (var element in spec)
        {
            if (element.Name.StartsWith('$') || element.Name.Contains('.', StringComparison.Ordinal))
            {
                throw CommandException.NotImplemented($"sort key '{element.Name}' in {what}");
            }
            if (!element.Value.IsNumeric || (element.Value.ToDouble() != 1 && element.Value.ToDouble() != -1))
            {
                throw CommandException.NotImplemented($"sort direction {element.Value} for '{element.Name}' in {what} (only 1 and -1)");
            }
            sort.keys.Add((element.Name, (int)element.Value.ToDouble()));
        }
        return sort;
    }

    /// <summary>Stable sort in place.</summary>
    public void Apply(List<DocView> items)
    {
        if (IsEmpty || items.Count < 2)
        {
            return;
        }
        var keyed = new (BsonValue[] Keys, int Index, DocView View)[items.Count];
        for (int i = 0; i < items.Count; i++)
        {
            var values = new BsonValue[keys.Count];
            for (int k = 0; k < keys.Count; k++)
            {
                values[k] = SortKey(items[i].GetOrNull(keys[k].Field), keys[k].Direction);
            }
            keyed[i] = (values, i, items[i]);
        }
        Array.Sort(keyed, (a, b) =>
        {
            for (int k = 0; k < keys.Count; k++)
            {
                int c = BsonOrder.Compare(a.Keys[k], b.Keys[k]) * keys[k].Direction;
                if (c != 0)
                {
                    return c;
                }
            }
            return a.Index.CompareTo(b.Index);
        });
        for (int i = 0; i < keyed.Length; i++)
        {
            items[i] = keyed[i].View;
        }
    }

    /// <summary>An array sorts by its smallest element ascending and its largest descending, as in mongod.</summary>
    private static BsonValue SortKey(BsonValue value, int direction)
    {
        if (value is not BsonArray array)
        {
            return value;
        }
        if (array.Count == 0)
        {
            return BsonUndefined.Value;
        }
        var best = array[0];
        foreach (var item in array)
        {
            int c = BsonOrder.Compare(item, best);
            if ((direction > 0 && c < 0) || (direction < 0 && c > 0))
            {
                best = item;
            }
        }
        return best;
    }
}
