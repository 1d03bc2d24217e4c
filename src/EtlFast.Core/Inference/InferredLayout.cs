namespace EtlFast.Core.Inference;

/// <summary>A proposed mapping: the tables, in the order the mapping needs (parents first), and what was flagged.</summary>
public sealed class InferredLayout
{
    public required string Collection { get; init; }

    public string? Database { get; init; }

    public List<InferredTable> Tables { get; } = [];

    /// <summary>Fields the reader should look at: mixed types, rare fields, fields left out.</summary>
    public List<FlaggedField> Flags { get; } = [];

    public int Columns => Tables.Sum(t => t.Columns.Count);
}

public sealed class InferredTable
{
    public required string Name { get; init; }

    /// <summary>The mapping's <c>path</c>; null for one row per document.</summary>
    public string? Path { get; init; }

    /// <summary>What the sample showed of the rows, for a comment above the table.</summary>
    public required string Description { get; init; }

    public List<InferredColumn> Columns { get; } = [];

    public List<string> PrimaryKey { get; } = [];

    /// <summary>Comment lines written above the columns: fields left out, how the table is linked.</summary>
    public List<string> Notes { get; } = [];

    /// <summary>Indexes proposed from the source collection's own (its metadata or listIndexes).</summary>
    public List<InferredIndex> Indexes { get; } = [];

    /// <summary>Column names already taken (key columns first, then fields).</summary>
    internal HashSet<string> UsedNames { get; } = new(StringComparer.Ordinal);
}

/// <summary>An index of an inferred table: its columns, and whether it is unique.</summary>
public sealed record InferredIndex(IReadOnlyList<string> Columns, bool Unique);

public sealed class InferredColumn
{
    public required string Name { get; init; }

    public required string Type { get; init; }

    public required string From { get; init; }

    /// <summary>Store NULL when the field is missing (<c>"onMissing": "null"</c>).</summary>
    public bool NullWhenMissing { get; init; }

    /// <summary>Store NULL for a BSON null (<c>"onNull": "null"</c>).</summary>
    public bool NullWhenNull { get; init; }

    /// <summary>Foreign key target, <c>table.column</c>.</summary>
    public string? References { get; init; }

    /// <summary>Trailing comment (without the <c>//</c>).</summary>
    public string? Comment { get; init; }
}

public enum FlagKind
{
    /// <summary>Values of types no single column type takes together.</summary>
    MixedTypes,
    /// <summary>Present in few of the objects that could hold it.</summary>
    Rare,
    /// <summary>Not in the mapping (a name a mapping path cannot spell).</summary>
    NotMapped,
    /// <summary>Values that PostgreSQL cannot store whatever the column type (NUL in strings).</summary>
    Unstorable,
}

/// <summary>One field the report and the mapping's comments point out. <see cref="Path"/> is dotted, with <c>[]</c> for array items.</summary>
public sealed record FlaggedField(FlagKind Kind, string Path, string Text);
