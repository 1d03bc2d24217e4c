namespace EtlFast.Core.Mapping;

/// <summary>
/// Dotted field paths: a table's <c>path</c> (segments may end in <c>[]</c>) and the field paths inside
/// <c>from</c> expressions. A plain field name may hold any character except '.', '[', ']' and
/// whitespace, and may not start with '$' or '"'. Any other name is written in double quotes, a quote
/// inside doubled, as SQL quotes identifiers: <c>"a.b"</c>, <c>"first name"</c>, <c>"$x"</c>.
/// </summary>
internal static class PathSyntax
{
    /// <summary>A name as one path segment: as it is when it is plain, else in double quotes.</summary>
    public static string Segment(string name)
    {
        bool plain = name.Length > 0 && name[0] is not ('$' or '"') && !name.All(char.IsAsciiDigit)
            && name.AsSpan().IndexOfAny(".[]+*") < 0 && !name.Any(char.IsWhiteSpace);
        return plain ? name : "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    /// <summary>Where the quoted segment opened at <paramref name="open"/> ends (just past its closing quote); the length when unclosed.</summary>
    public static int QuotedEnd(string s, int open) => QuotedEnd(s, open, out _);

    private static int QuotedEnd(string s, int open, out bool closed)
    {
        closed = true;
        for (int i = open + 1; i < s.Length; i++)
        {
            if (s[i] == '"')
            {
                if (i + 1 < s.Length && s[i + 1] == '"')
                {
                    i++;
                    continue;
                }
                return i + 1;
            }
        }
        closed = false;
        return s.Length;
    }

    /// <summary>Splits at the dots outside quoted segments; each part as written (quotes included).</summary>
    private static List<string> SplitDots(string path)
    {
        var parts = new List<string>();
        int start = 0;
        int i = 0;
        while (i <= path.Length)
        {
            if (i < path.Length && path[i] == '"' && i == start)
            {
                i = QuotedEnd(path, i);
                continue;
            }
            if (i == path.Length || path[i] == '.')
            {
                parts.Add(path[start..i]);
                start = i + 1;
            }
            i++;
        }
        return parts;
    }

    /// <summary>A part that starts with a quote: its name (quotes removed, doubled ones undoubled) and what follows the closing quote.</summary>
    private static string? Unquote(string part, string path, out string name, out string rest)
    {
        int end = QuotedEnd(part, 0, out bool closed);
        name = "";
        rest = "";
        if (!closed)
        {
            return $"path \"{path}\": the quoted name {part} has no closing '\"' (in the JSON string: \"\\\"a.b\\\"\"; a quote inside the name is doubled)";
        }
        name = part[1..(end - 1)].Replace("\"\"", "\"", StringComparison.Ordinal);
        rest = part[end..];
        return name.Length == 0 ? $"path \"{path}\" has an empty quoted name" : null;
    }

    public static bool TryParseTablePath(string path, out List<PathSegment> segments, out string error)
    {
        segments = [];
        error = "";
        if (path.Length == 0)
        {
            error = "\"path\" is empty; leave \"path\" out for rows from the root document, or name a field such as \"address\" or \"messages[]\"";
            return false;
        }
        foreach (string part in SplitDots(path))
        {
            if (part.StartsWith('"'))
            {
                if (Unquote(part, path, out string quoted, out string rest) is { } qe)
                {
                    error = qe;
                    return false;
                }
                if (rest is not ("" or "[]"))
                {
                    error = $"path \"{path}\": a quoted name may be followed only by \"[]\" or '.', not \"{rest}\"";
                    return false;
                }
                segments.Add(new PathSegment(quoted, rest == "[]"));
                continue;
            }
            string name = part;
            bool isArray = false;
            if (name.EndsWith("[]", StringComparison.Ordinal))
            {
                name = name[..^2];
                isArray = true;
                if (name.EndsWith("[]", StringComparison.Ordinal))
                {
                    error = $"path \"{path}\": arrays of arrays (\"{part}\") are not supported; map the outer array's items with \"{name}\" and store each inner array as jsonb with \"from\": \"$value\"";
                    return false;
                }
            }
            if (CheckName(name, path, allowArraySuffix: true) is { } e)
            {
                error = e;
                return false;
            }
            segments.Add(new PathSegment(name, isArray));
        }
        return true;
    }

    /// <summary>A field path inside a <c>from</c> expression (no <c>[]</c>: arrays are iterated by the table's path).</summary>
    public static bool TryParseFieldPath(string path, out List<string> names, out string error)
    {
        names = [];
        error = "";
        foreach (string part in SplitDots(path))
        {
            if (part.StartsWith('"'))
            {
                if (Unquote(part, path, out string quoted, out string rest) is { } qe)
                {
                    error = qe;
                    return false;
                }
                if (rest.Length > 0)
                {
                    error = rest == "[]"
                        ? $"field path \"{path}\" iterates an array; rows per array item come from the table's \"path\", a \"from\" names one value"
                        : $"path \"{path}\": a quoted name may be followed only by '.', not \"{rest}\"";
                    return false;
                }
                names.Add(quoted);
                continue;
            }
            if (part.EndsWith("[]", StringComparison.Ordinal))
            {
                error = $"field path \"{path}\" iterates an array; rows per array item come from the table's \"path\" (e.g. \"path\": \"{part}\"), a \"from\" names one value";
                return false;
            }
            if (CheckName(part, path, allowArraySuffix: false) is { } e)
            {
                error = e;
                return false;
            }
            names.Add(part);
        }
        return true;
    }

    private static string? CheckName(string name, string path, bool allowArraySuffix)
    {
        if (name.Length == 0)
        {
            return $"path \"{path}\" has an empty segment; remove the extra '.' (a path looks like \"a.b\"{(allowArraySuffix ? " or \"a[].b[]\"" : "")})";
        }
        if (name[0] == '$')
        {
            return $"path \"{path}\": segment \"{name}\" starts with '$', which field names cannot; $root, $parent, $value, $ordinal and $index may only start a \"from\" expression";
        }
        foreach (char c in name)
        {
            if (char.IsWhiteSpace(c))
            {
                return $"path \"{path}\" contains whitespace; field names cannot hold spaces here (in \"from\", separate operators with spaces: \"a * 10 + b\")";
            }
            if (c is '[' or ']')
            {
                return allowArraySuffix
                    ? $"path \"{path}\": '[' and ']' may only appear as a trailing \"[]\" that iterates an array (indexes like \"a[0]\" are not supported)"
                    : $"path \"{path}\": '[' and ']' cannot appear in a field path (indexes like \"a[0]\" are not supported)";
            }
        }
        return null;
    }
}
