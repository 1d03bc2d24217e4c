using EtlFast.Core.Mapping;

namespace EtlFast.Core.Plan;

/// <summary>Where one term of a column's value comes from at run time.</summary>
public enum ValueRefKind : byte
{
    /// <summary>A captured slot of some context.</summary>
    Slot,
    /// <summary>The context's own element (<c>$value</c>).</summary>
    ContextValue,
    /// <summary><c>$ordinal</c> of a context.</summary>
    Ordinal,
    /// <summary><c>$index</c> of a context.</summary>
    Index,
    /// <summary>An integer constant.</summary>
    Constant,
}

/// <summary>A resolved reference: which context, which slot (for <see cref="ValueRefKind.Slot"/>), how it is shown in messages.</summary>
public readonly record struct ValueRef(ValueRefKind Kind, int Context, int Slot, long Factor, long Constant, string Display);

/// <summary>A column compiled: its type, where its value comes from, and what to do when the value is not usable.</summary>
public sealed class ColumnPlan
{
    public required string Name { get; init; }
    public required PgType Type { get; init; }
    public required string SqlType { get; init; }
    public required bool Nullable { get; init; }

    /// <summary>For numeric(p,s): the scale s (0 for numeric(p)); -1 when the column keeps any scale.</summary>
    public int NumericScale { get; init; } = -1;

    /// <summary>For numeric(p,s): the precision p; -1 when the column has no modifier.</summary>
    public int NumericPrecision { get; init; } = -1;

    /// <summary>For varchar(n): n, in characters; -1 when the column takes strings of any length.</summary>
    public int MaxChars { get; init; } = -1;

    /// <summary>True when the value is integer arithmetic over <see cref="Terms"/> rather than one reference.</summary>
    public required bool IsArithmetic { get; init; }

    /// <summary>The terms; a plain reference is one term with factor 1.</summary>
    public required ValueRef[] Terms { get; init; }

    public required ValuePolicy OnMissing { get; init; }
    public required ValuePolicy OnNull { get; init; }
    public required ValuePolicy OnTypeMismatch { get; init; }

    /// <summary>The default encoded as a whole COPY field (length word + value), or null when the column has none.</summary>
    public byte[]? DefaultField { get; init; }

    /// <summary>The source as the mapping wrote it (for messages).</summary>
    public required string From { get; init; }
}
