using EtlFast.Bson;
using EtlFast.Core.Mapping;

namespace EtlFast.Core.Inference;

/// <summary>
/// Turns sample statistics into tables (docs/infer.md): the documents into one table keyed by
/// <c>_id</c>; a subdocument into columns of its parent (<c>a.b</c> → <c>a_b</c>), or into a 1:1 table
/// keyed by the document's <c>_id</c> when it is large or holds arrays of subdocuments; an array of
/// subdocuments into a child table (nested ones into grandchild tables) keyed by its items' own unique
/// <c>id</c> when they have one, else by (document key, <c>$ordinal</c>), with a foreign key to its
/// parent; everything else (scalar arrays, maps, mixed types) into jsonb, which keeps any value.
/// </summary>
public sealed class LayoutPlanner
{
    /// <summary>A subdocument with at least this many columns of its own gets a 1:1 table.</summary>
    public const int TableColumns = 5;

    /// <summary>A subdocument with more field names than this is taken for a map with data as keys: one jsonb column.</summary>
    public const int MapFields = 64;

    /// <summary>Fields present in fewer than this share of the objects that could hold them are flagged rare.</summary>
    public const double RareShare = 0.05;

    private readonly SampleWalker _sample;
    private readonly InferredLayout _layout;
    private readonly HashSet<string> _tableNames = new(StringComparer.Ordinal);
    private Key? _rootKey;
    private string _rootSingular = "document";

    /// <summary>How a child row reaches its parent row's key: the parent table, key column and type, and the child's <c>from</c>.</summary>
    private sealed record Key(string Table, string Column, string Type, string From);

    /// <summary>Where fields are read while one table is filled.</summary>
    private sealed record Scope(
        InferredTable Table,
        string RowPath,                 // the table's path, "" for the documents
        IReadOnlyList<string> Rel,      // names from the row context to the object being filled
        bool InArray,                   // the row context is (or lies in) an array item
        long Contexts,                  // row contexts sampled: what shares are of
        string ContextLabel,            // "documents", "\"address\" subdocuments", "\"messages\" items"
        bool OptionalAbove,             // an enclosing flattened subdocument is sometimes missing or null
        Key? Link,                      // what child tables created here reference
        string? LinkNote);              // why Link is not this table, when it is not

    private LayoutPlanner(SampleWalker sample, string collection, string? database)
    {
        _sample = sample;
        _layout = new InferredLayout { Collection = collection, Database = database };
    }

    /// <param name="takenTables">Table names other mappings of the same load already use (another collection's
    /// "address"): a table that would take one is named after its parent instead (customers_address).</param>
    public static InferredLayout Plan(SampleWalker sample, string collection, string? database, IEnumerable<string>? takenTables = null)
    {
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(collection);
        var planner = new LayoutPlanner(sample, collection, database);
        planner._tableNames.UnionWith(takenTables ?? []);
        planner.PlanRoot();
        return planner._layout;
    }

    private void PlanRoot()
    {
        ObjectStats docs = _sample.Root;
        string name = Naming.Unique(_tableNames, Naming.SnakePath([_layout.Collection.Replace('.', '_')], "documents"));
        _rootSingular = Naming.Singular(name);
        var root = new InferredTable { Name = name, Path = null, Description = $"one row per document ({docs.Count:N0} sampled)" };
        _layout.Tables.Add(root);

        FieldStats? id = docs.Find("_id");
        string? skip = null;
        if (id is not null && id.Present == docs.Count && id.Nulls == 0)
        {
            TypeChoice type = ColumnTyper.For(id);
            string column = Naming.Unique(root.UsedNames, "id");
            string? comment = type.Mixed ? Mixed(type, "_id") : type.Note;
            root.Columns.Add(new InferredColumn { Name = column, Type = type.Type, From = "_id", Comment = comment });
            root.PrimaryKey.Add(column);
            _rootKey = new Key(root.Name, column, type.Type, "$root._id");
            skip = "_id";
        }
        else
        {
            Flag(FlagKind.Rare, "_id", id is null ? "no sampled document has an _id: the tables get no keys" : $"_id is missing or null in some documents ({Share(id.Present - id.Nulls, docs.Count)} have one): the tables get no keys");
        }
        var scope = new Scope(root, "", [], InArray: false, docs.Count, "documents", OptionalAbove: false, _rootKey, null);
        Fill(scope, docs, skip);
    }

    private void Fill(Scope s, ObjectStats obj, string? skip)
    {
        foreach (FieldStats f in obj.Fields)
        {
            if (f.Name == skip && s.Rel.Count == 0)
            {
                continue;
            }
            List<string> rel = [.. s.Rel, f.Name];
            string display = Display(s.RowPath, rel);
            if (!CanReference(rel))
            {
                Flag(FlagKind.NotMapped, display, $"{Quote(f.Name)} cannot be written in a mapping path, even as a quoted segment: left out; to keep it, store its parent whole as jsonb");
                s.Table.Notes.Add($"NOT MAPPED: {Quote(display)}: its name cannot be written in a mapping path");
                continue;
            }
            bool optional = s.OptionalAbove || f.Present < obj.Count;
            if (IsSubdocument(f) && f.Object!.Fields.Count == 0)
            {
                string text = $"an empty subdocument in every sampled object that has it ({f.Present:N0}): no column; to keep it, add {{ \"name\": ..., \"type\": \"jsonb\", \"from\": {Quote(string.Join('.', rel.Select(PathSyntax.Segment)))} }}";
                s.Table.Notes.Add($"NOT MAPPED: {Quote(display)}: {text}");
                Flag(FlagKind.NotMapped, display, text);
                continue;
            }
            if (IsSubdocument(f))
            {
                if (f.Repeated > 0)
                {
                    string text = $"{f.Repeated:N0} sampled objects hold {Quote(f.Name)} twice: the load refuses such documents (--on-error reject sets them aside)";
                    s.Table.Notes.Add($"UNSTORABLE: {Quote(display)}: {text}");
                    Flag(FlagKind.Unstorable, display, text);
                }
                if (!s.InArray && s.Link is not null && _rootKey is not null && WantsTable(f.Object!) && IsTablePath(s.RowPath, rel, array: false))
                {
                    SubdocumentTable(s, f, rel);
                }
                else
                {
                    Fill(s with { Rel = rel, OptionalAbove = optional || f.Nulls > 0 }, f.Object!, null);
                }
                continue;
            }
            if (IsArrayOfSubdocuments(f) && IsTablePath(s.RowPath, rel, array: true))
            {
                ArrayTable(s, f, rel);
                continue;
            }
            Column(s, f, rel, display, optional);
        }
    }

    private void SubdocumentTable(Scope s, FieldStats f, List<string> rel)
    {
        ObjectStats sub = f.Object!;
        string path = Join(s.RowPath, rel);
        string snake = Naming.SnakePath([f.Name], "subdocument");
        string name = Naming.Unique(_tableNames, snake, s.Table.Name + "_" + snake);
        var table = new InferredTable
        {
            Name = name,
            Path = path,
            Description = $"one row per document whose {Quote(path)} is a subdocument ({sub.Count:N0} of {s.Contexts:N0} {s.ContextLabel}), keyed by the document's _id",
        };
        _layout.Tables.Add(table);
        Key root = _rootKey!;
        string id = Naming.Unique(table.UsedNames, "id");
        table.Columns.Add(new InferredColumn { Name = id, Type = root.Type, From = "$root._id" });
        table.PrimaryKey.Add(id);
        AddLink(table, s);
        var own = new Key(table.Name, id, root.Type, "$root._id");
        Fill(new Scope(table, path, [], InArray: false, sub.Count, $"{Quote(path)} subdocuments", OptionalAbove: false, own, null), sub, null);
    }

    private void ArrayTable(Scope s, FieldStats f, List<string> rel)
    {
        ArrayStats array = f.Array!;
        ObjectStats items = array.Items.Object!;
        string arrayPath = Join(s.RowPath, rel);
        string path = arrayPath + "[]";
        string snake = Naming.SnakePath([f.Name], "items");
        string name = Naming.Unique(_tableNames, snake, s.Table.Name + "_" + snake);
        string empty = array.Empty > 0 ? $", {array.Empty:N0} empty" : "";
        var table = new InferredTable
        {
            Name = name,
            Path = path,
            Description = $"one row per item of {Quote(arrayPath)}: {array.Items.Present:N0} items in {array.Arrays:N0} arrays (up to {array.MaxLength:N0} per array{empty})",
        };
        _layout.Tables.Add(table);
        if (s.LinkNote is not null)
        {
            table.Notes.Add(s.LinkNote);
        }

        FieldStats? natural = NaturalKey(items);
        Key? childLink;
        string? childNote = null;
        if (natural is not null)
        {
            string type = ColumnTyper.For(natural).Type;
            string id = Naming.Unique(table.UsedNames, "id");
            table.Columns.Add(new InferredColumn
            {
                Name = id, Type = type, From = natural.Name,
                Comment = $"the items' own {Quote(natural.Name)}: unique in the {items.Count:N0} sampled items; if it repeats in the full data, the primary key cannot be built",
            });
            table.PrimaryKey.Add(id);
            AddLink(table, s);
            childLink = new Key(table.Name, id, type, "$parent." + natural.Name);
        }
        else
        {
            InferredColumn? link = AddLink(table, s);
            childLink = _rootKey;
            if (_rootKey is not null)
            {
                childNote = $"linked to {_rootKey.Table}: the items of {Quote(arrayPath)} have no unique \"id\" of their own for a foreign key";
                string rootColumn = link is not null && link.From == "$root._id"
                    ? link.Name
                    : AddColumn(table, Naming.Fit(_rootSingular, "_id"), _rootKey.Type, "$root._id", $"{_rootKey.Table}.{_rootKey.Column}", null);
                string ordinal = AddColumn(table, "ordinal", "integer", "$ordinal", null,
                    $"position among the document's {Quote(path)} items, from 0");
                table.PrimaryKey.Add(rootColumn);
                table.PrimaryKey.Add(ordinal);
            }
        }
        Fill(new Scope(table, path, [], InArray: true, items.Count, $"{Quote(arrayPath)} items", OptionalAbove: false, childLink, childNote), items, natural?.Name);
    }

    /// <summary>The foreign key column to the table the scope links children to.</summary>
    private InferredColumn? AddLink(InferredTable table, Scope s)
    {
        if (s.Link is not { } link)
        {
            return null;
        }
        string name = AddColumn(table, Naming.Fit(Naming.Singular(link.Table), "_id"), link.Type, link.From, $"{link.Table}.{link.Column}", null);
        return table.Columns.First(c => c.Name == name);
    }

    private static string AddColumn(InferredTable table, string name, string type, string from, string? references, string? comment)
    {
        string unique = Naming.Unique(table.UsedNames, name);
        table.Columns.Add(new InferredColumn { Name = unique, Type = type, From = from, References = references, Comment = comment });
        return unique;
    }

    private void Column(Scope s, FieldStats f, List<string> rel, string display, bool optional)
    {
        TypeChoice type = ColumnTyper.For(f);
        var notes = new List<string>();
        if (type.Mixed)
        {
            notes.Add(Mixed(type, display));
        }
        else if (f.Array is { } array && type.Type == "jsonb" && f.Types() is [(BsonType.Array, _)])
        {
            notes.Add(ArrayNote(array));
        }
        else if (f.Object is { } obj && type.Type == "jsonb" && f.Types() is [(BsonType.Document, _)])
        {
            notes.Add($"subdocument with {obj.Fields.Count:N0} different field names (a map with data as keys?): kept whole as jsonb");
        }
        else if (type.Note is not null)
        {
            notes.Add(type.Note);
        }
        if (f.Present < s.Contexts)
        {
            if (f.Present < RareShare * s.Contexts)
            {
                string text = $"in {f.Present:N0} of {s.Contexts:N0} {s.ContextLabel} ({Share(f.Present, s.Contexts)})";
                notes.Add("RARE: " + text);
                Flag(FlagKind.Rare, display, text);
            }
            else
            {
                notes.Add($"in {Share(f.Present, s.Contexts)} of {s.ContextLabel}");
            }
        }
        else if (optional)
        {
            notes.Add("its parent is sometimes missing or null");
        }
        if (f.Nulls > 0)
        {
            notes.Add($"null in {Share(f.Nulls, f.Present)} of them");
        }
        long repeated = f.Repeated + (type.Type == "jsonb" ? RepeatsInside(f) : 0);
        if (repeated > 0)
        {
            string text = $"{repeated:N0} sampled objects hold a field name twice at one level (here{(f.Repeated > 0 ? "" : ", inside the value")}), which loading would keep only one of: the load refuses such documents (--on-error reject sets them aside)";
            notes.Add("UNSTORABLE: " + text);
            Flag(FlagKind.Unstorable, display, text);
        }
        if (f.StringsWithNul > 0)
        {
            string text = $"{f.StringsWithNul:N0} sampled strings hold a NUL character, which PostgreSQL text and jsonb cannot store: the load stops on them";
            notes.Add("UNSTORABLE: " + text);
            Flag(FlagKind.Unstorable, display, text);
        }
        string name = Naming.Unique(s.Table.UsedNames, Naming.SnakePath(rel, "field"));
        s.Table.Columns.Add(new InferredColumn
        {
            Name = name,
            Type = type.Type,
            From = string.Join('.', rel.Select(PathSyntax.Segment)),
            NullWhenMissing = optional,
            NullWhenNull = f.Nulls > 0,
            Comment = notes.Count == 0 ? null : string.Join("; ", notes),
        });
    }

    /// <summary>Objects below a field (in its subdocuments and array items, at any depth) that repeated a name.</summary>
    private static long RepeatsInside(FieldStats f)
    {
        long n = 0;
        if (f.Object is { } obj)
        {
            foreach (FieldStats c in obj.Fields)
            {
                n += c.Repeated + RepeatsInside(c);
            }
        }
        if (f.Array is { } array)
        {
            n += RepeatsInside(array.Items);
        }
        return n;
    }

    private string Mixed(TypeChoice type, string display)
    {
        Flag(FlagKind.MixedTypes, display, type.Note!);
        return $"MIXED: {type.Note}: stored whole as jsonb; to keep one type, give that type with \"onTypeMismatch\": \"null\" (stores NULL for the others) or \"reject\"";
    }

    private static string ArrayNote(ArrayStats array)
    {
        FieldStats items = array.Items;
        List<(BsonType Type, long Count)> types = items.Types();
        if (items.Present == 0)
        {
            return "array, empty in every sampled document: kept whole as jsonb";
        }
        string of = types.Count == 1 ? BsonTypeNames.Of(types[0].Type) : types.Count == 0 ? "null" : ColumnTyper.Breakdown(types);
        string nulls = items.Nulls > 0 ? $" (and {items.Nulls:N0} nulls)" : "";
        string why = types.Exists(t => t.Type == BsonType.Document) ? " (not all items are subdocuments, so no child table)" : "";
        return $"array of {of}{nulls}{why}: kept whole as jsonb";
    }

    /// <summary>The items' own <c>_id</c> or <c>id</c> when every item has one, of one key type, all different.</summary>
    private static FieldStats? NaturalKey(ObjectStats items)
    {
        foreach (string name in new[] { "_id", "id" })
        {
            FieldStats? f = items.Find(name);
            if (f is null || f.Present != items.Count || f.Nulls > 0 || !f.AllDistinct || items.Count < 2)
            {
                continue;
            }
            TypeChoice type = ColumnTyper.For(f);
            if (!type.Mixed && type.Type is "text" or "integer" or "bigint" or "uuid")
            {
                return f;
            }
        }
        return null;
    }

    private static bool IsSubdocument(FieldStats f) =>
        f.Object is { } obj && f.Types() is [(BsonType.Document, _)] && obj.Fields.Count <= MapFields;

    private static bool IsArrayOfSubdocuments(FieldStats f) =>
        f.Array is { } array && f.Types() is [(BsonType.Array, _)]
        && array.Items.Object is { } items && array.Items.Types() is [(BsonType.Document, _)] && array.Items.Nulls == 0
        && items.Fields.Count is > 0 and <= MapFields;

    /// <summary>A 1:1 table pays off for a large subdocument or one that parents child tables (when it has columns of its own).</summary>
    private static bool WantsTable(ObjectStats obj)
    {
        int columns = Columns(obj);
        return columns >= 1 && (columns >= TableColumns || HasArrayTables(obj));
    }

    private static int Columns(ObjectStats obj)
    {
        int n = 0;
        foreach (FieldStats f in obj.Fields)
        {
            n += IsSubdocument(f) ? Columns(f.Object!) : IsArrayOfSubdocuments(f) ? 0 : 1;
        }
        return n;
    }

    private static bool HasArrayTables(ObjectStats obj) =>
        obj.Fields.Exists(f => IsArrayOfSubdocuments(f) || (IsSubdocument(f) && HasArrayTables(f.Object!)));

    /// <summary>True when the names can be a <c>from</c> field path exactly as they are.</summary>
    private static bool CanReference(List<string> names)
    {
        string path = string.Join('.', names.Select(PathSyntax.Segment));
        return SourceExpressionParser.TryParse(path, out SourceExpression e, out _)
            && e.Single is { Kind: SourceKind.Field, Scope: SourceScope.Current } r
            && r.Path.SequenceEqual(names, StringComparer.Ordinal);
    }

    private static bool IsTablePath(string rowPath, List<string> rel, bool array)
    {
        string path = Join(rowPath, rel) + (array ? "[]" : "");
        return PathSyntax.TryParseTablePath(path, out List<PathSegment> segments, out _)
            && segments.Count > 0 && segments[^1].Name == rel[^1] && segments[^1].IsArray == array;
    }

    private static string Join(string rowPath, IEnumerable<string> rel)
    {
        string tail = string.Join('.', rel.Select(PathSyntax.Segment));
        return rowPath.Length == 0 ? tail : rowPath + "." + tail;
    }

    private static string Display(string rowPath, IEnumerable<string> rel) => Join(rowPath, rel);

    private static string Share(long part, long whole) => ColumnTyper.Percent(part, whole);

    private void Flag(FlagKind kind, string path, string text) => _layout.Flags.Add(new FlaggedField(kind, path, text));

    /// <summary>A name as a JSON string, so that any character in it is safe inside a comment.</summary>
    internal static string Quote(string name) => MappingWriter.JsonString(name);
}
