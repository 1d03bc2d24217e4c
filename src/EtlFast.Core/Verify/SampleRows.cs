using EtlFast.Core.Mapping;
using MongoDB.Bson;

namespace EtlFast.Core.Verify;

/// <summary>One row a document should have produced: a literal (or null) per column of its table.</summary>
internal sealed record ExpectedRow(TableMapping Table, string?[] Values);

/// <summary>What the mapping says one document becomes: its rows, or that the load should have rejected it or stopped.</summary>
internal sealed record DocumentRows(List<ExpectedRow> Rows, bool Rejected, string? LoadShouldStop);

/// <summary>
/// A plain interpreter of a mapping (docs/mapping.md) over one decoded document: walks each table's
/// path, evaluates each column's <c>from</c> and applies the policies. It shares nothing with the
/// load's plan compiler or encoder on purpose; it is slow (objects per value) and only ever sees a sample.
/// </summary>
internal static class SampleRows
{
    /// <summary>An array item (or the document) that field references start from, with its place among its array's items.</summary>
    private sealed record Context(BsonValue Value, Context? Parent, long Ordinal, long Index);

    private sealed class Stop(ValuePolicy policy, string why) : Exception(why)
    {
        public ValuePolicy Policy { get; } = policy;
    }

    public static DocumentRows Of(MappingDocument mapping, BsonDocument document)
    {
        var rows = new List<ExpectedRow>();
        try
        {
            foreach (TableMapping table in mapping.Tables)
            {
                var counters = new long[table.PathSegments.Count];
                var root = new Context(document, null, 0, 0);
                Walk(mapping, table, document, 0, root, counters, document, rows);
            }
        }
        catch (Stop stop)
        {
            return stop.Policy == ValuePolicy.Reject ? new DocumentRows([], true, null) : new DocumentRows([], false, stop.Message);
        }
        return new DocumentRows(rows, false, null);
    }

    private static void Walk(MappingDocument mapping, TableMapping table, BsonValue value, int segment, Context context,
        long[] counters, BsonDocument root, List<ExpectedRow> rows)
    {
        if (segment == table.PathSegments.Count)
        {
            bool subdocument = segment > 0 && !table.PathSegments[segment - 1].IsArray;
            // $parent: for an array table the context one level up; for a subdocument table the item (or document) it lies in.
            Context? parent = subdocument ? context : context.Parent;
            rows.Add(new ExpectedRow(table, [.. table.Columns.Select(c => Column(mapping, table, c, value, context, parent, root))]));
            return;
        }
        PathSegment step = table.PathSegments[segment];
        if (value is not BsonDocument holder || !holder.TryGetValue(step.Name, out BsonValue next) || next.IsBsonNull)
        {
            return; // nothing at the path: no rows
        }
        if (step.IsArray)
        {
            if (next is not BsonArray items)
            {
                PathMismatch(mapping, table, step, next);
                return;
            }
            for (int i = 0; i < items.Count; i++)
            {
                var item = new Context(items[i], context, counters[segment]++, i);
                Walk(mapping, table, items[i], segment + 1, item, counters, root, rows);
            }
            return;
        }
        if (next is not BsonDocument)
        {
            PathMismatch(mapping, table, step, next);
            return;
        }
        Walk(mapping, table, next, segment + 1, context, counters, root, rows);
    }

    /// <summary>The path holds something other than a document or an array: the table's onTypeMismatch decides.</summary>
    private static void PathMismatch(MappingDocument mapping, TableMapping table, PathSegment step, BsonValue found)
    {
        ValuePolicy policy = table.Policies.OnTypeMismatch ?? mapping.Defaults.OnTypeMismatch ?? ValuePolicy.Error;
        if (policy is ValuePolicy.Error or ValuePolicy.Reject)
        {
            throw new Stop(policy, $"table \"{table.Name}\": \"{step.Name}\" holds a {found.BsonType}");
        }
    }

    private static string? Column(MappingDocument mapping, TableMapping table, ColumnMapping column, BsonValue row, Context context, Context? parent, BsonDocument root)
    {
        if (column.Type == PgType.Json)
        {
            return null; // not compared (SampleCheck says so)
        }
        ExpectedValue v = column.Source.Single is { } single ? Single(column, single, row, context, parent, root) : Arithmetic(column, row, context, parent, root);
        if (v.Kind == ValueKind.Value)
        {
            return v.Text;
        }
        if (v.Kind == ValueKind.Unstorable)
        {
            throw new Stop(ValuePolicy.Error, $"column \"{table.Name}\".\"{column.Name}\" cannot store the value exactly ({v.Why})");
        }
        ValuePolicy policy = Effective(mapping, table, column, v.Kind);
        return policy switch
        {
            ValuePolicy.Null => null,
            ValuePolicy.Default => SampleValues.Default(column),
            _ => throw new Stop(policy, $"column \"{table.Name}\".\"{column.Name}\": the value is {v.Kind.ToString().ToLowerInvariant()} and the policy is {policy.ToString().ToLowerInvariant()}"),
        };
    }

    /// <summary>The column's own policy, else its table's, else the mapping's, else error.</summary>
    private static ValuePolicy Effective(MappingDocument mapping, TableMapping table, ColumnMapping column, ValueKind kind) => kind switch
    {
        ValueKind.Missing => column.Policies.OnMissing ?? table.Policies.OnMissing ?? mapping.Defaults.OnMissing ?? ValuePolicy.Error,
        ValueKind.Null => column.Policies.OnNull ?? table.Policies.OnNull ?? mapping.Defaults.OnNull ?? ValuePolicy.Error,
        _ => column.Policies.OnTypeMismatch ?? table.Policies.OnTypeMismatch ?? mapping.Defaults.OnTypeMismatch ?? ValuePolicy.Error,
    };

    private static ExpectedValue Single(ColumnMapping column, SourceRef r, BsonValue row, Context context, Context? parent, BsonDocument root)
    {
        switch (r.Kind)
        {
            case SourceKind.Ordinal:
                return SampleValues.IntoInteger(context.Ordinal, column.Type);
            case SourceKind.Index:
                return SampleValues.IntoInteger(context.Index, column.Type);
        }
        BsonValue? v = Resolve(r, row, parent, root);
        return v is null ? new ExpectedValue(ValueKind.Missing, null)
            : v.IsBsonNull ? new ExpectedValue(ValueKind.Null, null)
            : SampleValues.Convert(v, column);
    }

    private static ExpectedValue Arithmetic(ColumnMapping column, BsonValue row, Context context, Context? parent, BsonDocument root)
    {
        long sum = 0;
        foreach (SourceTerm term in column.Source.Terms)
        {
            long x;
            if (term.Ref is null)
            {
                x = term.Constant;
            }
            else if (term.Ref.Kind is SourceKind.Ordinal or SourceKind.Index)
            {
                x = term.Ref.Kind == SourceKind.Ordinal ? context.Ordinal : context.Index;
            }
            else
            {
                BsonValue? v = Resolve(term.Ref, row, parent, root);
                if (v is null || v.IsBsonNull)
                {
                    return new ExpectedValue(v is null ? ValueKind.Missing : ValueKind.Null, null);
                }
                if (SampleValues.Integer(v, out x) is { } problem)
                {
                    return problem;
                }
            }
            try
            {
                sum = checked(sum + (checked(x * term.Factor)));
            }
            catch (OverflowException)
            {
                return ExpectedValue.Unstorable("the arithmetic overflows 64 bits");
            }
        }
        return SampleValues.IntoInteger(sum, column.Type);
    }

    /// <summary>The value a reference names; null when absent (a step that is not a document counts as absent).</summary>
    private static BsonValue? Resolve(SourceRef r, BsonValue row, Context? parent, BsonDocument root)
    {
        BsonValue? at = r.Scope switch
        {
            SourceScope.Root => root,
            SourceScope.Parent => parent?.Value ?? root,
            _ => row,
        };
        if (r.Kind == SourceKind.Value)
        {
            return at;
        }
        foreach (string name in r.Path)
        {
            if (at is not BsonDocument d || !d.TryGetValue(name, out BsonValue next))
            {
                return null;
            }
            at = next;
        }
        return at;
    }
}
