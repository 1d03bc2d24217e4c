using System.Globalization;

namespace EtlFast.Core.Mapping;

/// <summary>
/// Parses a column's <c>from</c>: one reference (<c>street</c>, <c>$root._id</c>, <c>$parent.id</c>,
/// <c>$value</c>, <c>$ordinal</c>, <c>$index</c>) or integer arithmetic, a sum of terms joined by
/// <c>+</c> or <c>-</c>, each a reference, a whole number, or a reference times a whole number.
/// Operators stand apart, separated by whitespace, because a field name may itself hold '-', '+' or '*'.
/// </summary>
internal static class SourceExpressionParser
{
    private static readonly string[] Specials = ["$root", "$parent", "$value", "$ordinal", "$index"];

    public static bool TryParse(string from, out SourceExpression expression, out string error)
    {
        expression = new SourceExpression([]);
        error = "";
        string[] tokens = Tokens(from);
        if (tokens.Length == 0)
        {
            error = "\"from\" is empty; name the source field, e.g. \"from\": \"email\"";
            return false;
        }
        var terms = new List<SourceTerm>();
        int i = 0;
        bool negate = false;
        if (tokens[0] == "-")
        {
            negate = true;
            i = 1;
        }
        while (true)
        {
            if (i >= tokens.Length)
            {
                error = $"\"from\" \"{from}\" ends with an operator; add the term after it or remove the operator";
                return false;
            }
            if (!TryParseAtom(tokens[i], from, out SourceRef? reference, out long number, out error))
            {
                return false;
            }
            i++;
            SourceTerm term = reference is not null ? new SourceTerm(reference, 1, 0) : new SourceTerm(null, 0, number);
            if (i < tokens.Length && tokens[i] == "*")
            {
                if (i + 1 >= tokens.Length)
                {
                    error = $"\"from\" \"{from}\" ends with an operator; add the term after it or remove the operator";
                    return false;
                }
                if (!TryParseAtom(tokens[i + 1], from, out SourceRef? reference2, out long number2, out error))
                {
                    return false;
                }
                if (reference is not null && reference2 is null)
                {
                    term = new SourceTerm(reference, number2, 0);
                }
                else if (reference is null && reference2 is not null)
                {
                    term = new SourceTerm(reference2, number, 0);
                }
                else if (reference is not null)
                {
                    error = $"\"from\" \"{from}\" multiplies two references ({tokens[i - 1]} * {tokens[i + 1]}); only a reference times a whole number is supported";
                    return false;
                }
                else
                {
                    error = $"\"from\" \"{from}\" multiplies two numbers ({tokens[i - 1]} * {tokens[i + 1]}); write their product as one number";
                    return false;
                }
                i += 2;
                if (i < tokens.Length && tokens[i] == "*")
                {
                    error = $"\"from\" \"{from}\": a term may multiply one reference by one whole number only; fold the numbers into one factor";
                    return false;
                }
            }
            if (negate)
            {
                try
                {
                    term = term with { Factor = checked(-term.Factor), Constant = checked(-term.Constant) };
                }
                catch (OverflowException)
                {
                    error = $"\"from\" \"{from}\": a number is out of the 64-bit integer range";
                    return false;
                }
            }
            terms.Add(term);
            if (i >= tokens.Length)
            {
                break;
            }
            string op = tokens[i];
            if (op is not ("+" or "-"))
            {
                error = op == "*"
                    ? $"\"from\" \"{from}\": a term may multiply one reference by one whole number only"
                    : $"\"from\" \"{from}\": expected + or - before \"{op}\" (operators stand apart with spaces around them, e.g. \"$root._id * 10000 + $ordinal\")";
                return false;
            }
            negate = op == "-";
            i++;
        }
        expression = new SourceExpression(terms);
        return true;
    }

    /// <summary>The tokens between whitespace; a quoted path segment ("\"first name\"") is one piece, spaces and all.</summary>
    private static string[] Tokens(string from)
    {
        var tokens = new List<string>();
        int i = 0;
        while (i < from.Length)
        {
            if (char.IsWhiteSpace(from[i]))
            {
                i++;
                continue;
            }
            int start = i;
            while (i < from.Length && !char.IsWhiteSpace(from[i]))
            {
                i = from[i] == '"' && (i == start || from[i - 1] == '.') ? PathSyntax.QuotedEnd(from, i) : i + 1;
            }
            tokens.Add(from[start..i]);
        }
        return [.. tokens];
    }

    private static bool TryParseAtom(string token, string from, out SourceRef? reference, out long number, out string error)
    {
        reference = null;
        number = 0;
        error = "";
        if (token is "+" or "-" or "*")
        {
            error = $"\"from\" \"{from}\": operator \"{token}\" where a reference or number was expected";
            return false;
        }
        if (IsInteger(token))
        {
            if (!long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out number))
            {
                error = $"\"from\" \"{from}\": {token} is out of the 64-bit integer range";
                return false;
            }
            return true;
        }
        if (token[0] != '$')
        {
            if (!TryParseFieldPath(token, from, out List<string> names, out error))
            {
                return false;
            }
            reference = new SourceRef(SourceKind.Field, SourceScope.Current, names);
            return true;
        }
        switch (token)
        {
            case "$value":
                reference = new SourceRef(SourceKind.Value, SourceScope.Current, []);
                return true;
            case "$ordinal":
                reference = new SourceRef(SourceKind.Ordinal, SourceScope.Current, []);
                return true;
            case "$index":
                reference = new SourceRef(SourceKind.Index, SourceScope.Current, []);
                return true;
            case "$root" or "$parent":
                error = $"\"from\" \"{from}\": {token} needs a field path, e.g. \"{token}._id\" (\"$value\" is the row's own value)";
                return false;
        }
        SourceScope scope;
        string rest;
        if (token.StartsWith("$root.", StringComparison.Ordinal))
        {
            scope = SourceScope.Root;
            rest = token["$root.".Length..];
        }
        else if (token.StartsWith("$parent.", StringComparison.Ordinal))
        {
            scope = SourceScope.Parent;
            rest = token["$parent.".Length..];
        }
        else
        {
            int dot = token.IndexOf('.', StringComparison.Ordinal);
            string head = dot < 0 ? token : token[..dot];
            if (head is "$value" or "$ordinal" or "$index")
            {
                error = $"\"from\" \"{from}\": {head} takes no field path; name the field relative to the row (\"{token[(dot + 1)..]}\") or use $root./$parent.";
                return false;
            }
            string spacing = token.AsSpan(1).IndexOfAny("+-*") >= 0 ? " (operators need spaces around them: \"$ordinal + 1\")" : "";
            string hint = Suggestions.DidYouMean(head, Specials);
            error = $"\"from\" \"{from}\": unknown reference \"{token}\"{hint}{spacing}; use a field path, $root.<path>, $parent.<path>, $value, $ordinal or $index";
            return false;
        }
        if (!TryParseFieldPath(rest, from, out List<string> path, out error))
        {
            return false;
        }
        reference = new SourceRef(SourceKind.Field, scope, path);
        return true;
    }

    private static bool TryParseFieldPath(string path, string from, out List<string> names, out string error)
    {
        // "$root._id*10000+$ordinal" would otherwise read a field named "_id*10000+$ordinal" and fail on
        // every document at load time; '+' and '*' in field names are rare enough to give up for that.
        if (path.StartsWith("-$", StringComparison.Ordinal))
        {
            names = [];
            error = $"\"from\" \"{from}\": \"{path}\" reads as a field name; to negate, put a space after the '-' (\"- {path[1..]}\")";
            return false;
        }
        int op = Unquoted(path).IndexOfAny('+', '*');
        if (op >= 0)
        {
            names = [];
            error = $"\"from\" \"{from}\": field path \"{path}\" contains '{path[op]}'; operators need spaces around them (\"$root._id * 10000 + $ordinal\"), and field names containing '+' or '*' cannot be read";
            return false;
        }
        return PathSyntax.TryParseFieldPath(path, out names, out error);
    }

    /// <summary>The path with its quoted segments blanked out, so operators are looked for outside them only.</summary>
    private static ReadOnlySpan<char> Unquoted(string path)
    {
        char[] chars = path.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
        {
            if (chars[i] == '"' && (i == 0 || chars[i - 1] == '.'))
            {
                int end = PathSyntax.QuotedEnd(path, i);
                chars.AsSpan(i, end - i).Fill('_');
                i = end - 1;
            }
        }
        return chars;
    }

    private static bool IsInteger(string token)
    {
        int start = token[0] == '-' ? 1 : 0;
        if (start == token.Length)
        {
            return false;
        }
        for (int i = start; i < token.Length; i++)
        {
            if (!char.IsAsciiDigit(token[i]))
            {
                return false;
            }
        }
        return true;
    }
}
