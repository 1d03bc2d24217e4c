using System.Globalization;
using System.Text;
using EtlFast.Core.Mapping;

namespace EtlFast.Core.Inference;

/// <summary>
/// PostgreSQL names derived from field names: snake_case (<c>zipCode</c> → <c>zip_code</c>,
/// <c>HTTPStatus</c> → <c>http_status</c>, <c>_id</c> → <c>id</c>), at most 63 bytes of UTF-8, unique
/// within their scope by a numeric suffix (<c>name_2</c>) that is kept inside the 63 bytes.
/// </summary>
public static class Naming
{
    public const int MaxBytes = IdentifierRules.MaxBytes;

    /// <summary>snake_case of a field name: letters lowercased, a word break before an inner capital, anything else one '_'.</summary>
    public static string Snake(string name)
    {
        var sb = new StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsLetterOrDigit(c))
            {
                if (char.IsUpper(c) && sb.Length > 0 && sb[^1] != '_')
                {
                    char prev = name[i - 1];
                    bool afterLower = char.IsLower(prev) || char.IsDigit(prev);
                    bool endsAcronym = char.IsUpper(prev) && i + 1 < name.Length && char.IsLower(name[i + 1]);
                    if (afterLower || endsAcronym)
                    {
                        sb.Append('_');
                    }
                }
                sb.Append(char.ToLowerInvariant(c));
            }
            else if (sb.Length > 0 && sb[^1] != '_')
            {
                sb.Append('_');
            }
        }
        while (sb.Length > 0 && sb[^1] == '_')
        {
            sb.Length--;
        }
        return sb.ToString();
    }

    /// <summary>Snake case of each segment, joined by '_' (<c>coordinates.lat</c> → <c>coordinates_lat</c>); <paramref name="fallback"/> when nothing is left.</summary>
    public static string SnakePath(IEnumerable<string> segments, string fallback)
    {
        string joined = string.Join('_', segments.Select(Snake).Where(s => s.Length > 0));
        return joined.Length == 0 ? fallback : joined;
    }

    /// <summary>A rough English singular, for key column names (<c>users</c> → <c>user</c>, <c>addresses</c> → <c>address</c>).</summary>
    public static string Singular(string name)
    {
        if (name.EndsWith("ies", StringComparison.Ordinal) && name.Length > 4)
        {
            return name[..^3] + "y";
        }
        foreach (string end in new[] { "sses", "shes", "ches", "xes", "zes" })
        {
            if (name.EndsWith(end, StringComparison.Ordinal) && name.Length > end.Length)
            {
                return name[..^2];
            }
        }
        if (name.EndsWith('s') && name.Length > 3 && !name.EndsWith("ss", StringComparison.Ordinal)
            && !name.EndsWith("us", StringComparison.Ordinal) && !name.EndsWith("is", StringComparison.Ordinal))
        {
            return name[..^1];
        }
        return name;
    }

    /// <summary><paramref name="name"/> cut (at a character boundary, never inside a surrogate pair) so that it plus <paramref name="suffix"/> fits 63 bytes.</summary>
    public static string Fit(string name, string suffix = "")
    {
        int budget = MaxBytes - Encoding.UTF8.GetByteCount(suffix);
        if (Encoding.UTF8.GetByteCount(name) <= budget)
        {
            return name + suffix;
        }
        int bytes = 0;
        int end = 0;
        while (end < name.Length)
        {
            int step = char.IsHighSurrogate(name[end]) && end + 1 < name.Length ? 2 : 1;
            int size = Encoding.UTF8.GetByteCount(name.AsSpan(end, step));
            if (bytes + size > budget)
            {
                break;
            }
            bytes += size;
            end += step;
        }
        return name[..end].TrimEnd('_') + suffix;
    }

    /// <summary>
    /// The first of <paramref name="candidates"/> (each fitted to 63 bytes) not yet in <paramref name="used"/>,
    /// else the last one with the smallest free suffix <c>_2</c>, <c>_3</c> ...; the result is added to <paramref name="used"/>.
    /// </summary>
    public static string Unique(HashSet<string> used, params string[] candidates)
    {
        foreach (string c in candidates)
        {
            string fitted = Fit(c);
            if (used.Add(fitted))
            {
                return fitted;
            }
        }
        string last = candidates[^1];
        for (int n = 2; ; n++)
        {
            string fitted = Fit(last, "_" + n.ToString(CultureInfo.InvariantCulture));
            if (used.Add(fitted))
            {
                return fitted;
            }
        }
    }
}
