namespace EtlFast.Core.Mapping;

/// <summary>"Did you mean" for misspelt keys, types, tables and columns.</summary>
internal static class Suggestions
{
    /// <summary>The candidate nearest to <paramref name="input"/>, or null when none is close enough to be a typo.</summary>
    public static string? Closest(string input, IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string c in candidates)
        {
            if (string.Equals(c, input, StringComparison.OrdinalIgnoreCase))
            {
                return c;
            }
            int d = Distance(input.ToUpperInvariant(), c.ToUpperInvariant());
            if (d < bestDistance)
            {
                bestDistance = d;
                best = c;
            }
        }
        // Two edits is a typo in "onTypeMismatch", not in "id" (which would match any two-letter key).
        int allowed = Math.Min(2, Math.Max(1, input.Length / 3));
        return bestDistance <= allowed ? best : null;
    }

    /// <summary>" (did you mean \"x\"?)" or "" when nothing is close.</summary>
    public static string DidYouMean(string input, IEnumerable<string> candidates)
        => Closest(input, candidates) is { } s ? $" (did you mean \"{s}\"?)" : "";

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps.</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }
        for (int j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }
        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                int v = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    v = Math.Min(v, d[i - 2, j - 2] + 1);
                }
                d[i, j] = v;
            }
        }
        return d[a.Length, b.Length];
    }
}
