namespace EtlFast.Core.Mapping;

/// <summary>
/// Dotted field paths: a table's <c>path</c> (segments may end in <c>[]</c>) and the field paths inside
/// <c>from</c> expressions. A field name may hold any character except '.', '[', ']' and whitespace,
/// and may not start with '$' (MongoDB reserves that for operators).
/// </summary>
internal static class PathSyntax
{
    public static bool TryParseTablePath(string path, out List<PathSegment> segments, out string error)
    {
        segments = [];
        error = "";
        if (path.Length == 0)
        {
            error = "\"path\" is empty; leave \"path\" out for rows from the root document, or name a field such as \"address\" or \"messages[]\"";
            return false;
        }
        foreach (string part in path.Split('.'))
        {
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
        foreach (string part in path.Split('.'))
        {
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
