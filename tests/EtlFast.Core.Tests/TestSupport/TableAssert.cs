using System.Globalization;
using System.Text;
using Npgsql;

namespace EtlFast.Core.Tests.TestSupport;

/// <summary>Compares a table in PostgreSQL with the one a test computed, column by column and row by row.</summary>
internal static class TableAssert
{
    /// <summary>
    /// The table has exactly the expected columns (names, order, types, nullability) and rows:
    /// matched on the key, every value equal, none missing, none extra, no key twice.
    /// </summary>
    public static void Matches(NpgsqlConnection conn, string schema, ExpectedTable expected)
    {
        PgTableData actual = PgTable.Read(conn, schema, expected.Name);
        string want = string.Join(", ", expected.Columns.Select(c => $"{c.Name} {c.Type}{(c.Nullable ? "" : " NOT NULL")}"));
        string got = string.Join(", ", actual.Columns.Select(c => $"{c.Name} {c.Type}{(c.Nullable ? "" : " NOT NULL")}"));
        Assert.True(want == got, $"table {schema}.{expected.Name}: columns differ\nexpected: {want}\nactual:   {got}");
        RowsMatch(expected, actual.Rows, $"{schema}.{expected.Name}");
    }

    /// <summary>Rows compared on the expected table's key; the message lists the first differences.</summary>
    public static void RowsMatch(ExpectedTable expected, List<object?[]> actualRows, string label)
    {
        int[] key = [.. expected.Key.Select(expected.IndexOf)];
        string[] names = [.. expected.Columns.Select(c => c.Name)];
        var problems = new List<string>();
        var actualByKey = new Dictionary<string, object?[]>(StringComparer.Ordinal);
        foreach (object?[] row in actualRows)
        {
            string k = KeyOf(row, key);
            if (!actualByKey.TryAdd(k, row))
            {
                problems.Add($"key {k} appears more than once in the table");
            }
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (object?[] row in expected.Rows)
        {
            string k = KeyOf(row, key);
            if (!seen.Add(k))
            {
                throw new InvalidOperationException($"the test's own expected rows of {label} repeat key {k}");
            }
            if (!actualByKey.TryGetValue(k, out object?[]? got))
            {
                problems.Add($"missing row {Format(row)}");
                continue;
            }
            for (int i = 0; i < row.Length; i++)
            {
                if (!Same(row[i], got[i]))
                {
                    problems.Add($"key {k}: column {names[i]}: expected {Show(row[i])}, actual {Show(got[i])}");
                }
            }
        }
        foreach ((string k, object?[] row) in actualByKey)
        {
            if (!seen.Contains(k))
            {
                problems.Add($"unexpected row {Format(row)}");
            }
        }
        if (problems.Count > 0)
        {
            Assert.Fail($"table {label}: {problems.Count} difference(s) ({expected.Rows.Count} rows expected, {actualRows.Count} found); the first:\n  "
                + string.Join("\n  ", problems.Take(12)));
        }
    }

    /// <summary>Values equal as the column type means them; a type difference (int vs long) is a difference.</summary>
    public static bool Same(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (null, _) or (_, null) => false,
        (byte[] x, byte[] y) => x.AsSpan().SequenceEqual(y),
        (DateTime x, DateTime y) => x.Kind == y.Kind && x.Ticks == y.Ticks,
        _ => a.GetType() == b.GetType() && a.Equals(b),
    };

    private static string KeyOf(object?[] row, int[] key)
    {
        var sb = new StringBuilder("(");
        foreach (int i in key)
        {
            sb.Append(sb.Length > 1 ? ", " : "").Append(Show(row[i]));
        }
        return sb.Append(')').ToString();
    }

    private static string Format(object?[] row) => "[" + string.Join(", ", row.Select(Show)) + "]";

    public static string Show(object? v) => v switch
    {
        null => "NULL",
        string s => "\"" + s + "\"",
        byte[] b => "\\x" + Convert.ToHexStringLower(b),
        DateTime d => d.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff", CultureInfo.InvariantCulture) + (d.Kind == DateTimeKind.Utc ? "Z" : $" ({d.Kind})"),
        double d => d.ToString("R", CultureInfo.InvariantCulture) + "d",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture) + $" ({v.GetType().Name})",
        _ => v.ToString() ?? "",
    };
}
