using MongoDB.Bson;

namespace EtlFast.WireServer.Query;

/// <summary>
/// An update document applied to a stored document: a replacement (no operator fields), or the operators
/// $set, $unset, $inc, $push (with $each), $pull (a value, or a document of field equalities) and $pop, on
/// dotted paths through documents and array indexes. Any other operator is refused by name. What changed
/// is described as a change event's updateDescription.
/// </summary>
internal static class UpdateOperators
{
    public static bool IsReplacement(BsonDocument update) => update.ElementCount == 0 || !update.GetElement(0).Name.StartsWith('$');

    /// <summary>The replacement with the current `_id` first; refuses one that changes the `_id` (code 66, as mongod).</summary>
    public static BsonDocument Replace(BsonValue id, BsonDocument replacement)
    {
        foreach (var element in replacement)
        {
            if (element.Name.StartsWith('$'))
            {
                throw CommandException.BadValue($"the replacement document mixes fields and the operator '{element.Name}'");
            }
        }
        if (replacement.TryGetValue("_id", out var given) && BsonOrder.Compare(given, id) != 0)
        {
            throw ImmutableId();
        }
        var result = new BsonDocument("_id", id);
        foreach (var element in replacement)
        {
            if (element.Name != "_id")
            {
                result.Add(element);
            }
        }
        return result;
    }

    /// <summary>Applies the operators to a copy of <paramref name="current"/>: the new document and its updateDescription.</summary>
    public static (BsonDocument Document, BsonDocument Description) Apply(BsonDocument current, BsonDocument update)
    {
        var document = (BsonDocument)current.DeepClone();
        var updated = new BsonDocument();
        var removed = new BsonArray();
        foreach (var op in update)
        {
            if (op.Value is not BsonDocument fields)
            {
                throw new CommandException(9, "FailedToParse", $"Modifiers operate on fields but we found type {op.Value.BsonType} instead (operator {op.Name})");
            }
            foreach (var field in fields)
            {
                if (field.Name == "_id" || field.Name.StartsWith("_id.", StringComparison.Ordinal))
                {
                    throw ImmutableId();
                }
                switch (op.Name)
                {
                    case "$set":
                        Set(document, field.Name, field.Value);
                        updated[field.Name] = field.Value;
                        break;
                    case "$unset":
                        if (Unset(document, field.Name))
                        {
                            removed.Add(field.Name);
                        }
                        break;
                    case "$inc":
                        updated[field.Name] = Inc(document, field.Name, field.Value);
                        break;
                    case "$push":
                        updated[field.Name] = Push(document, field.Name, field.Value);
                        break;
                    case "$pull":
                        updated[field.Name] = Pull(document, field.Name, field.Value);
                        break;
                    case "$pop":
                        updated[field.Name] = Pop(document, field.Name, field.Value);
                        break;
                    default:
                        throw CommandException.NotImplemented($"update operator '{op.Name}'");
                }
            }
        }
        var description = new BsonDocument { { "updatedFields", updated }, { "removedFields", removed }, { "truncatedArrays", new BsonArray() } };
        return (document, description);
    }

    private static CommandException ImmutableId() =>
        new(66, "ImmutableField", "Performing an update on the path '_id' would modify the immutable field '_id'");

    private static void Set(BsonDocument document, string path, BsonValue value)
    {
        (BsonValue parent, string last) = Parent(document, path, create: true)!.Value;
        switch (parent)
        {
            case BsonDocument d:
                d[last] = value;
                break;
            case BsonArray a when int.TryParse(last, out int index) && index >= 0:
                while (a.Count <= index)
                {
                    a.Add(BsonNull.Value); // mongod pads with nulls up to the index set
                }
                a[index] = value;
                break;
            default:
                throw new CommandException(28, "PathNotViable", $"Cannot create field '{last}' in element {{{path}: {parent}}}");
        }
    }

    private static bool Unset(BsonDocument document, string path)
    {
        if (Parent(document, path, create: false) is not (var parent, var last))
        {
            return false;
        }
        if (parent is BsonDocument d)
        {
            if (!d.Contains(last))
            {
                return false;
            }
            d.Remove(last);
            return true;
        }
        if (parent is BsonArray a && int.TryParse(last, out int index) && index >= 0 && index < a.Count)
        {
            a[index] = BsonNull.Value; // $unset of an array item leaves a null, as in mongod
            return true;
        }
        return false;
    }

    private static BsonValue Inc(BsonDocument document, string path, BsonValue by)
    {
        if (!by.IsNumeric)
        {
            throw new CommandException(14, "TypeMismatch", $"Cannot increment with non-numeric argument: {{{path}: {by}}}");
        }
        BsonValue? current = Get(document, path);
        BsonValue result = current switch
        {
            null => by,
            { IsNumeric: false } => throw new CommandException(14, "TypeMismatch", $"Cannot apply $inc to a value of non-numeric type {current.BsonType} at '{path}'"),
            _ when current.IsDouble || by.IsDouble => new BsonDouble(current.ToDouble() + by.ToDouble()),
            _ when current.IsInt32 && by.IsInt32 && (long)current.AsInt32 + by.AsInt32 is long sum && sum is >= int.MinValue and <= int.MaxValue => new BsonInt32((int)sum),
            _ => new BsonInt64(checked(current.ToInt64() + by.ToInt64())),
        };
        Set(document, path, result);
        return result;
    }

    private static BsonArray Push(BsonDocument document, string path, BsonValue value)
    {
        BsonArray array = ArrayAt(document, path, "$push", create: true)!;
        if (value is BsonDocument { ElementCount: > 0 } spec && spec.GetElement(0).Name.StartsWith('$'))
        {
            foreach (var modifier in spec)
            {
                if (modifier.Name != "$each")
                {
                    throw CommandException.NotImplemented($"$push modifier '{modifier.Name}'");
                }
            }
            array.AddRange(spec["$each"].AsBsonArray);
        }
        else
        {
            array.Add(value);
        }
        return array;
    }

    private static BsonArray Pull(BsonDocument document, string path, BsonValue condition)
    {
        BsonArray? array = ArrayAt(document, path, "$pull", create: false);
        if (array is null)
        {
            return [];
        }
        for (int i = array.Count - 1; i >= 0; i--)
        {
            if (PullMatches(array[i], condition))
            {
                array.RemoveAt(i);
            }
        }
        return array;
    }

    private static bool PullMatches(BsonValue item, BsonValue condition)
    {
        if (condition is not BsonDocument fields || item is not BsonDocument itemDoc)
        {
            return BsonOrder.Compare(item, condition) == 0;
        }
        foreach (var field in fields)
        {
            if (field.Name.StartsWith('$') || field.Value is BsonDocument { ElementCount: > 0 } inner && inner.GetElement(0).Name.StartsWith('$'))
            {
                throw CommandException.NotImplemented($"$pull condition {condition} (only values and documents of field equalities)");
            }
            if (!itemDoc.TryGetValue(field.Name, out var v) || BsonOrder.Compare(v, field.Value) != 0)
            {
                return false;
            }
        }
        return true;
    }

    private static BsonArray Pop(BsonDocument document, string path, BsonValue end)
    {
        if (!end.IsNumeric || Math.Abs(end.ToDouble()) != 1)
        {
            throw new CommandException(9, "FailedToParse", $"$pop expects 1 or -1, found: {end}");
        }
        BsonArray? array = ArrayAt(document, path, "$pop", create: false);
        if (array is null || array.Count == 0)
        {
            return array ?? [];
        }
        array.RemoveAt(end.ToDouble() > 0 ? array.Count - 1 : 0);
        return array;
    }

    private static BsonArray? ArrayAt(BsonDocument document, string path, string op, bool create)
    {
        BsonValue? current = Get(document, path);
        if (current is null)
        {
            if (!create)
            {
                return null;
            }
            var array = new BsonArray();
            Set(document, path, array);
            return array;
        }
        return current as BsonArray
            ?? throw new CommandException(2, "BadValue", $"The field '{path}' must be an array but is of type {current.BsonType} ({op})");
    }

    private static BsonValue? Get(BsonDocument document, string path)
    {
        if (Parent(document, path, create: false) is not (var parent, var last))
        {
            return null;
        }
        return parent switch
        {
            BsonDocument d => d.TryGetValue(last, out var v) ? v : null,
            BsonArray a when int.TryParse(last, out int i) && i >= 0 && i < a.Count => a[i],
            _ => null,
        };
    }

    /// <summary>The container of a dotted path's last segment; with <paramref name="create"/>, missing documents on the way are made.</summary>
    private static (BsonValue Parent, string Last)? Parent(BsonDocument document, string path, bool create)
    {
        string[] segments = path.Split('.');
        if (Array.Exists(segments, s => s.Length == 0))
        {
            throw new CommandException(56, "EmptyFieldName", $"The update path '{path}' contains an empty field name, which is not allowed.");
        }
        BsonValue node = document;
        for (int i = 0; i < segments.Length - 1; i++)
        {
            string s = segments[i];
            BsonValue? next = node switch
            {
                BsonDocument d => d.TryGetValue(s, out var v) ? v : null,
                BsonArray a when int.TryParse(s, out int index) && index >= 0 && index < a.Count => a[index],
                _ => throw new CommandException(28, "PathNotViable", $"Cannot create field '{s}' in element {{{string.Join('.', segments[..i])}: {node}}}"),
            };
            if (next is null)
            {
                if (!create)
                {
                    return null;
                }
                next = new BsonDocument();
                Set(document, string.Join('.', segments[..(i + 1)]), next);
            }
            node = next;
        }
        return (node, segments[^1]);
    }
}
