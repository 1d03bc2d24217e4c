using EtlFast.Core.Mapping;

namespace EtlFast.Core.Plan;

/// <summary>A mapping compiled for one load: contexts to walk, tables to fill, SQL to run.</summary>
public sealed class LoadPlan
{
    public required MappingDocument Mapping { get; init; }
    public required string Schema { get; init; }
    /// <summary>Contexts in walk order; [0] is the root.</summary>
    public required ContextPlan[] Contexts { get; init; }
    /// <summary>Tables in mapping order (parents before children).</summary>
    public required TablePlan[] Tables { get; init; }
    /// <summary>Slot of <c>_id</c> in the root context (always captured, for messages).</summary>
    public required int IdSlot { get; init; }

    public ContextPlan Root => Contexts[0];
}
