namespace EtlFast.Core.Mapping;

/// <summary>What to do with a value that is missing, null, or of a BSON type the column cannot take.</summary>
public enum ValuePolicy
{
    /// <summary>Stop the load with an error naming the document, field and table.</summary>
    Error,
    /// <summary>Store NULL (the column is then nullable).</summary>
    Null,
    /// <summary>Store the column's <c>default</c>.</summary>
    Default,
    /// <summary>Skip the whole document (none of its rows are written) and record it as rejected.</summary>
    Reject,
}

/// <summary>PostgreSQL column types a mapping may name.</summary>
public enum PgType
{
    SmallInt,
    Integer,
    BigInt,
    Real,
    DoublePrecision,
    Numeric,
    Boolean,
    Text,
    Varchar,
    TimestampTz,
    Timestamp,
    Date,
    Jsonb,
    Json,
    Bytea,
    Uuid,
}

/// <summary>A parsed mapping file: one source collection to one or more tables.</summary>
public sealed class MappingDocument
{
    /// <summary>The file the mapping came from (for messages).</summary>
    public required string FileName { get; init; }

    /// <summary>The MongoDB database; null when the mapping does not name one.</summary>
    public string? Database { get; init; }

    /// <summary>The MongoDB collection (also the mongodump file name, <c>collection.bson</c>).</summary>
    public required string Collection { get; init; }

    /// <summary>The PostgreSQL schema; null means the command line's <c>--schema</c> or "public".</summary>
    public string? Schema { get; init; }

    /// <summary>Mapping-wide policies (each defaults to <see cref="ValuePolicy.Error"/>).</summary>
    public required PolicySet Defaults { get; init; }

    /// <summary>Tables in file order. Parents come before the tables that reference them.</summary>
    public required IReadOnlyList<TableMapping> Tables { get; init; }

    /// <summary>
    /// Foreign keys to tables of other collections' mappings (read as part of a set, see <see cref="MappingSet"/>);
    /// empty for a mapping read alone, where every reference must name a table of the file.
    /// </summary>
    public IReadOnlyList<ExternalReference> ExternalReferences { get; init; } = [];
}

/// <summary>A column whose <c>"references"</c> names a table another mapping of the set defines.</summary>
public sealed record ExternalReference(TableMapping Table, ColumnMapping Column, int Line);

/// <summary>Policies at one level (mapping, table or column). Null means "inherit from the level above".</summary>
public sealed record PolicySet(ValuePolicy? OnMissing, ValuePolicy? OnNull, ValuePolicy? OnTypeMismatch)
{
    public static readonly PolicySet Inherit = new(null, null, null);
}

public sealed class TableMapping
{
    public required string Name { get; init; }

    /// <summary>
    /// Where the table's rows come from. Null: the root document (one row per document).
    /// <c>a.b</c>: the subdocument at that path (one row when it is a document; none when absent or null).
    /// <c>a[]</c>: one row per item of the array at <c>a</c>; nests, e.g. <c>messages[].attachments[]</c>.
    /// </summary>
    public string? Path { get; init; }

    /// <summary><see cref="Path"/> parsed; empty for the root document.</summary>
    public required IReadOnlyList<PathSegment> PathSegments { get; init; }

    public required IReadOnlyList<ColumnMapping> Columns { get; init; }

    /// <summary>Primary key column names; empty for none.</summary>
    public required IReadOnlyList<string> PrimaryKey { get; init; }

    public required IReadOnlyList<IndexMapping> Indexes { get; init; }

    public required PolicySet Policies { get; init; }

    /// <summary>1-based line of the table's object in the mapping file.</summary>
    public required int Line { get; init; }
}

public sealed class ColumnMapping
{
    public required string Name { get; init; }

    public required PgType Type { get; init; }

    /// <summary>Type modifier as written, e.g. "(20)" for varchar(20) or "(12,2)" for numeric(12,2); empty for none.</summary>
    public string TypeModifier { get; init; } = "";

    /// <summary>
    /// The value's source expression as written: a dotted field path relative to the table's row
    /// context (<c>street</c>, <c>coordinates.lat</c>), <c>$root.path</c>, <c>$parent.path</c>,
    /// <c>$value</c>, <c>$ordinal</c>, <c>$index</c>, or integer arithmetic over those
    /// (<c>$root._id * 10000 + $ordinal</c>).
    /// </summary>
    public required string From { get; init; }

    /// <summary><see cref="From"/> parsed.</summary>
    public required SourceExpression Source { get; init; }

    /// <summary>Explicit nullability; null: nullable exactly when a policy of the column yields NULL.</summary>
    public bool? Nullable { get; init; }

    public required PolicySet Policies { get; init; }

    /// <summary>The <c>default</c> value as raw JSON text (e.g. <c>0</c>, <c>"n/a"</c>), or null when none is given.</summary>
    public string? DefaultJson { get; init; }

    /// <summary>Foreign key target, or null.</summary>
    public ForeignKeyMapping? References { get; init; }

    public required int Line { get; init; }
}

public sealed record ForeignKeyMapping(string Table, string Column);

public sealed record IndexMapping(IReadOnlyList<string> Columns, bool Unique, int Line);

/// <summary>An invalid mapping file: names the file, the line and the reason.</summary>
public sealed class MappingException(string fileName, int line, string reason)
    : Exception($"{fileName}:{line}: {reason}")
{
    public string FileName { get; } = fileName;
    public int Line { get; } = line;
    public string Reason { get; } = reason;
}

/// <summary>One step of a table's <c>path</c>: a field name, and whether its array's items are iterated (<c>name[]</c>).</summary>
public sealed record PathSegment(string Name, bool IsArray);

/// <summary>Which row context a field reference starts from.</summary>
public enum SourceScope
{
    /// <summary>The table's own row context: the root document, the subdocument or the array item.</summary>
    Current,
    /// <summary><c>$root.</c>: the top-level document.</summary>
    Root,
    /// <summary><c>$parent.</c>: the row context one level up (the enclosing array item, else the root).</summary>
    Parent,
}

public enum SourceKind
{
    /// <summary>A field at a dotted path from the scope.</summary>
    Field,
    /// <summary><c>$value</c>: the row context itself (an array item, or the subdocument), whatever its type.</summary>
    Value,
    /// <summary><c>$ordinal</c>: 0-based count of the items at the table's path before this one, across the whole root document.</summary>
    Ordinal,
    /// <summary><c>$index</c>: 0-based position of the item in its own array.</summary>
    Index,
}

/// <summary>A reference to one value: <c>street</c>, <c>$root._id</c>, <c>$parent.id</c>, <c>$ordinal</c> ...</summary>
public sealed record SourceRef(SourceKind Kind, SourceScope Scope, IReadOnlyList<string> Path)
{
    public override string ToString() => Kind switch
    {
        SourceKind.Value => "$value",
        SourceKind.Ordinal => "$ordinal",
        SourceKind.Index => "$index",
        _ => (Scope switch { SourceScope.Root => "$root.", SourceScope.Parent => "$parent.", _ => "" }) + string.Join('.', Path.Select(PathSyntax.Segment)),
    };
}

/// <summary>One term of a column expression: <c>Ref * Factor</c>, or the integer <c>Constant</c> when Ref is null.</summary>
public sealed record SourceTerm(SourceRef? Ref, long Factor, long Constant);

/// <summary>A column's parsed <c>from</c>: a single reference, or a sum of integer terms.</summary>
public sealed record SourceExpression(IReadOnlyList<SourceTerm> Terms)
{
    /// <summary>The reference when the expression is exactly one reference (no arithmetic), else null.</summary>
    public SourceRef? Single => Terms.Count == 1 && Terms[0].Ref is { } r && Terms[0].Factor == 1 ? r : null;
}
