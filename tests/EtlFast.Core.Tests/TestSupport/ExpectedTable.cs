namespace EtlFast.Core.Tests.TestSupport;

/// <summary>
/// A table as a test computes it on its own: column names, PostgreSQL types (as format_type spells
/// them), nullability, the key columns rows are matched on, and the rows (values as <see cref="PgTable"/> reads them).
/// </summary>
internal sealed class ExpectedTable
{
    private readonly List<(string Name, string Type, bool Nullable)> _columns = [];

    public ExpectedTable(string name, params string[] key)
    {
        Name = name;
        Key = key;
    }

    public string Name { get; }

    public IReadOnlyList<string> Key { get; }

    public List<object?[]> Rows { get; } = [];

    public IReadOnlyList<(string Name, string Type, bool Nullable)> Columns => _columns;

    public ExpectedTable Column(string name, string type, bool nullable = false)
    {
        _columns.Add((name, type, nullable));
        return this;
    }

    public void Add(params object?[] row)
    {
        if (row.Length != _columns.Count)
        {
            throw new ArgumentException($"table {Name}: a row of {row.Length} values for {_columns.Count} columns");
        }
        Rows.Add(row);
    }

    /// <summary>Only the rows a predicate keeps (same columns and key).</summary>
    public ExpectedTable Where(Func<object?[], bool> keep)
    {
        var t = new ExpectedTable(Name, [.. Key]);
        t._columns.AddRange(_columns);
        t.Rows.AddRange(Rows.Where(keep));
        return t;
    }

    public int IndexOf(string column) => _columns.FindIndex(c => c.Name == column) is var i and >= 0
        ? i
        : throw new ArgumentException($"table {Name} has no column {column}");
}
