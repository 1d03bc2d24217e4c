using System.Text;
using EtlFast.Core.Mapping;
using EtlFast.PgCopy;

namespace EtlFast.Core.Plan;

/// <summary>
/// Compiles a mapping into a <see cref="LoadPlan"/> once, before any document is read: row contexts,
/// the field names each context captures, and each column's resolved references and policies.
/// </summary>
public static class PlanCompiler
{
    public static LoadPlan Compile(MappingDocument mapping, string? schemaOverride)
    {
        string schema = schemaOverride ?? mapping.Schema ?? "public";
        var contexts = new List<ContextPlan> { new(0, null, []) };
        var tables = new List<TablePlan>();

        foreach (TableMapping table in mapping.Tables)
        {
            int lastArray = LastArrayIndex(table.PathSegments);
            ContextPlan context = ContextFor(contexts, table.PathSegments, lastArray);
            PathSegment[] remainder = [.. table.PathSegments.Skip(lastArray + 1)];
            int subdocSlot = remainder.Length == 0 ? -1 : SlotFor(context, remainder.Select(s => s.Name));

            var columns = new ColumnPlan[table.Columns.Count];
            for (int i = 0; i < columns.Length; i++)
            {
                columns[i] = CompileColumn(mapping, table, table.Columns[i], context, remainder, subdocSlot);
            }

            var plan = new TablePlan
            {
                Index = tables.Count,
                Mapping = table,
                Name = table.Name,
                QualifiedName = Sql.Qualify(schema, table.Name),
                Context = context,
                SubdocumentSlot = subdocSlot,
                SubdocumentPath = remainder.Length == 0 ? null : string.Join('.', remainder.Select(s => s.Name)),
                Columns = columns,
                CopySql = $"COPY {Sql.Qualify(schema, table.Name)} ({string.Join(", ", table.Columns.Select(c => Sql.Quote(c.Name)))}) FROM STDIN (FORMAT BINARY)",
            };
            context.Tables.Add(plan);
            tables.Add(plan);
        }

        ContextPlan root = contexts[0];
        int idSlot = SlotFor(root, ["_id"]);
        foreach (ContextPlan c in contexts)
        {
            GiveEverySlot(c, c.Fields);
            c.Fields.Freeze();
        }
        return new LoadPlan
        {
            Mapping = mapping,
            Schema = schema,
            Contexts = [.. contexts],
            Tables = [.. tables],
            IdSlot = idSlot,
        };
    }

    private static int LastArrayIndex(IReadOnlyList<PathSegment> path)
    {
        for (int i = path.Count - 1; i >= 0; i--)
        {
            if (path[i].IsArray)
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>The context that iterates path[..(lastArray + 1)], created with its ancestors as needed.</summary>
    private static ContextPlan ContextFor(List<ContextPlan> contexts, IReadOnlyList<PathSegment> path, int lastArray)
    {
        if (lastArray < 0)
        {
            return contexts[0];
        }
        PathSegment[] own = [.. path.Take(lastArray + 1)];
        foreach (ContextPlan c in contexts)
        {
            if (SamePath(c.Path, own))
            {
                return c;
            }
        }
        int parentArray = LastArrayIndex(own[..^1]);
        ContextPlan parent = ContextFor(contexts, own, parentArray);
        var context = new ContextPlan(contexts.Count, parent, own);
        context.ArraySlot = SlotFor(parent, own.Skip(parentArray + 1).Select(s => s.Name));
        parent.Children.Add(context);
        contexts.Add(context);
        return context;
    }

    private static bool SamePath(IReadOnlyList<PathSegment> a, IReadOnlyList<PathSegment> b)
    {
        if (a.Count != b.Count)
        {
            return false;
        }
        for (int i = 0; i < a.Count; i++)
        {
            if (a[i].Name != b[i].Name || a[i].IsArray != b[i].IsArray)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// A slot for each node that only leads to mapped names too ("profile" of "profile.bio"), so the walk
    /// sees any mapped name twice at one level, and never merges two "profile" subdocuments.
    /// </summary>
    private static void GiveEverySlot(ContextPlan context, FieldNode node)
    {
        foreach (FieldNode c in node.Children)
        {
            if (c.Slot < 0)
            {
                c.Slot = context.SlotCount++;
            }
            GiveEverySlot(context, c);
        }
    }

    private static int SlotFor(ContextPlan context, IEnumerable<string> path)
    {
        FieldNode node = context.Fields;
        foreach (string name in path)
        {
            node = node.GetOrAdd(name);
        }
        if (node.Slot < 0)
        {
            node.Slot = context.SlotCount++;
        }
        return node.Slot;
    }

    private static ColumnPlan CompileColumn(
        MappingDocument mapping, TableMapping table, ColumnMapping column, ContextPlan context, PathSegment[] remainder, int subdocSlot)
    {
        var terms = new ValueRef[column.Source.Terms.Count];
        for (int i = 0; i < terms.Length; i++)
        {
            SourceTerm term = column.Source.Terms[i];
            terms[i] = term.Ref is null
                ? new ValueRef(ValueRefKind.Constant, 0, -1, 0, term.Constant, term.Constant.ToString(System.Globalization.CultureInfo.InvariantCulture))
                : Resolve(mapping, table, column, term.Ref, context, remainder, subdocSlot) with { Factor = term.Factor, Constant = term.Constant };
        }

        PolicySet policies = MappingPolicies.Resolve(mapping, table, column);
        ValuePolicy onMissing = policies.OnMissing!.Value;
        ValuePolicy onNull = policies.OnNull!.Value;
        ValuePolicy onMismatch = policies.OnTypeMismatch!.Value;
        bool nullable = MappingPolicies.IsNullable(mapping, table, column);

        return new ColumnPlan
        {
            Name = column.Name,
            Type = column.Type,
            SqlType = PgTypeNames.SqlType(column),
            Nullable = nullable,
            NumericScale = column.Type == PgType.Numeric ? ScaleOf(column.TypeModifier) : -1,
            NumericPrecision = column.Type == PgType.Numeric ? FirstNumberOf(column.TypeModifier) : -1,
            MaxChars = column.Type == PgType.Varchar ? FirstNumberOf(column.TypeModifier) : -1,
            IsArithmetic = column.Source.Single is null,
            Terms = terms,
            OnMissing = onMissing,
            OnNull = onNull,
            OnTypeMismatch = onMismatch,
            DefaultField = column.DefaultJson is null ? null : DefaultValue.Encode(mapping.FileName, column),
            From = column.From,
        };
    }

    /// <summary>"(12,2)" -> 2, "(12)" -> 0, "" -> -1.</summary>
    private static int ScaleOf(string modifier)
    {
        if (modifier.Length == 0)
        {
            return -1;
        }
        int comma = modifier.IndexOf(',', StringComparison.Ordinal);
        return comma < 0 ? 0 : int.Parse(modifier.AsSpan(comma + 1, modifier.Length - comma - 2).Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>"(12,2)" -> 12, "(20)" -> 20, "" -> -1: the precision of numeric(p,s), the length of varchar(n).</summary>
    private static int FirstNumberOf(string modifier)
    {
        if (modifier.Length == 0)
        {
            return -1;
        }
        int end = modifier.IndexOf(',', StringComparison.Ordinal);
        end = end < 0 ? modifier.Length - 1 : end;
        return int.Parse(modifier.AsSpan(1, end - 1).Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static ValueRef Resolve(
        MappingDocument mapping, TableMapping table, ColumnMapping column, SourceRef r, ContextPlan context, PathSegment[] remainder, int subdocSlot)
    {
        string display = r.ToString();
        switch (r.Kind)
        {
            case SourceKind.Ordinal:
                return new ValueRef(ValueRefKind.Ordinal, context.Index, -1, 1, 0, display);
            case SourceKind.Index:
                return new ValueRef(ValueRefKind.Index, context.Index, -1, 1, 0, display);
            case SourceKind.Value:
                return subdocSlot >= 0
                    ? new ValueRef(ValueRefKind.Slot, context.Index, subdocSlot, 1, 0, display)
                    : new ValueRef(ValueRefKind.ContextValue, context.Index, -1, 1, 0, display);
        }
        switch (r.Scope)
        {
            case SourceScope.Root:
                ContextPlan root = context;
                while (root.Parent is not null)
                {
                    root = root.Parent;
                }
                return new ValueRef(ValueRefKind.Slot, 0, SlotFor(root, r.Path), 1, 0, display);
            case SourceScope.Parent:
                ContextPlan? parent = remainder.Length > 0 ? context : context.Parent;
                if (parent is null)
                {
                    throw new MappingException(mapping.FileName, column.Line,
                        $"column \"{column.Name}\" of table \"{table.Name}\" uses $parent, but the table's rows come from the root document, which has no parent");
                }
                return new ValueRef(ValueRefKind.Slot, parent.Index, SlotFor(parent, r.Path), 1, 0, display);
            default:
                return new ValueRef(ValueRefKind.Slot, context.Index, SlotFor(context, remainder.Select(s => s.Name).Concat(r.Path)), 1, 0, display);
        }
    }
}
