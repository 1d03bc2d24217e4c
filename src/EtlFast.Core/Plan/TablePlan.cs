using EtlFast.Core.Mapping;

namespace EtlFast.Core.Plan;

/// <summary>A target table compiled: its context, the condition for a row, and the column encoders.</summary>
public sealed class TablePlan
{
    public required int Index { get; init; }
    public required TableMapping Mapping { get; init; }
    public required string Name { get; init; }
    /// <summary>Schema-qualified and quoted, ready for SQL.</summary>
    public required string QualifiedName { get; init; }
    public required ContextPlan Context { get; init; }

    /// <summary>
    /// For a subdocument table (<c>path: "address"</c>), the slot of that subdocument in the context:
    /// a row exists only when it holds a document. -1 for tables whose row is the context itself.
    /// </summary>
    public required int SubdocumentSlot { get; init; }

    /// <summary>The subdocument path's display (for messages), e.g. "profile".</summary>
    public string? SubdocumentPath { get; init; }

    public required ColumnPlan[] Columns { get; init; }

    /// <summary><c>COPY "s"."t" ("a", "b") FROM STDIN (FORMAT BINARY)</c>.</summary>
    public required string CopySql { get; init; }
}
