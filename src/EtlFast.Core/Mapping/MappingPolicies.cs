namespace EtlFast.Core.Mapping;

/// <summary>
/// Effective policies and nullability: the column's setting, else the table's, else the mapping's
/// <c>defaults</c>, else <see cref="ValuePolicy.Error"/>.
/// </summary>
public static class MappingPolicies
{
    /// <summary>The policies in force, every member set.</summary>
    public static PolicySet Resolve(PolicySet defaults, PolicySet table, PolicySet column)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(column);
        return new PolicySet(
            column.OnMissing ?? table.OnMissing ?? defaults.OnMissing ?? ValuePolicy.Error,
            column.OnNull ?? table.OnNull ?? defaults.OnNull ?? ValuePolicy.Error,
            column.OnTypeMismatch ?? table.OnTypeMismatch ?? defaults.OnTypeMismatch ?? ValuePolicy.Error);
    }

    /// <inheritdoc cref="Resolve(PolicySet, PolicySet, PolicySet)"/>
    public static PolicySet Resolve(MappingDocument mapping, TableMapping table, ColumnMapping column)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(column);
        return Resolve(mapping.Defaults, table.Policies, column.Policies);
    }

    /// <summary>
    /// Whether the column is created nullable: its explicit <c>nullable</c>, else true exactly when an
    /// effective policy can store NULL ("null", or "default" with <c>"default": null</c>).
    /// </summary>
    public static bool IsNullable(MappingDocument mapping, TableMapping table, ColumnMapping column)
    {
        ArgumentNullException.ThrowIfNull(column);
        if (column.Nullable is { } explicitly)
        {
            return explicitly;
        }
        PolicySet p = Resolve(mapping, table, column);
        return YieldsNull(p.OnMissing!.Value, column) || YieldsNull(p.OnNull!.Value, column) || YieldsNull(p.OnTypeMismatch!.Value, column);
    }

    private static bool YieldsNull(ValuePolicy policy, ColumnMapping column)
        => policy == ValuePolicy.Null || (policy == ValuePolicy.Default && column.DefaultJson == "null");
}
