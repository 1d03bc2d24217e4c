using System.Globalization;

namespace EtlFast.Core.Mapping;

/// <summary>
/// Whether a column's <c>default</c> fits its type, checked when the mapping is read so a bad default
/// fails before any document is loaded rather than on the first row that needs it.
/// </summary>
internal static class DefaultValueRules
{
    private static readonly string[] TimestampFormats = BuildTimestampFormats();

    /// <summary>Null when <paramref name="value"/> fits, else what is wrong and what would fit.</summary>
    public static string? Check(MappingNode value, PgType type, string modifier)
    {
        if (value.Kind == MappingNodeKind.Null)
        {
            return null; // null means "store NULL"; nullability is checked separately.
        }
        return type switch
        {
            PgType.SmallInt => Integer(value, short.MinValue, short.MaxValue),
            PgType.Integer => Integer(value, int.MinValue, int.MaxValue),
            PgType.BigInt => Integer(value, long.MinValue, long.MaxValue),
            PgType.Real or PgType.DoublePrecision => Float(value, type),
            PgType.Numeric => Numeric(value, modifier),
            PgType.Boolean => value.Kind is MappingNodeKind.True or MappingNodeKind.False ? null : "expected true or false",
            PgType.Text => Text(value, maxChars: 0),
            PgType.Varchar => Text(value, modifier.Length == 0 ? 0 : int.Parse(modifier.AsSpan(1, modifier.Length - 2), CultureInfo.InvariantCulture)),
            PgType.TimestampTz or PgType.Timestamp => Timestamp(value),
            PgType.Date => Date(value),
            PgType.Uuid => Uuid(value),
            PgType.Bytea => Bytea(value),
            PgType.Jsonb => value.ToJson().Contains("\\u0000", StringComparison.OrdinalIgnoreCase)
                ? "jsonb cannot hold the NUL character \\u0000; remove it"
                : null,
            _ => null, // json: any JSON value.
        };
    }

    private static string? Integer(MappingNode value, decimal min, decimal max)
    {
        string expect = $"expected a whole number between {min.ToString(CultureInfo.InvariantCulture)} and {max.ToString(CultureInfo.InvariantCulture)}";
        if (value.Kind != MappingNodeKind.Number)
        {
            return expect;
        }
        if (!decimal.TryParse(value.Raw, NumberStyles.Float, CultureInfo.InvariantCulture, out decimal d) || d != decimal.Truncate(d) || d < min || d > max)
        {
            return expect;
        }
        return null;
    }

    private static string? Float(MappingNode value, PgType type)
    {
        if (value.Kind != MappingNodeKind.Number)
        {
            return "expected a number";
        }
        bool finite = type == PgType.Real
            ? float.TryParse(value.Raw, NumberStyles.Float, CultureInfo.InvariantCulture, out float f) && float.IsFinite(f)
            : double.TryParse(value.Raw, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d);
        return finite ? null : $"{value.Raw} is out of the range of {PgTypeNames.SqlName(type)}";
    }

    private static string? Numeric(MappingNode value, string modifier)
    {
        if (value.Kind != MappingNodeKind.Number)
        {
            return "expected a number";
        }
        if (modifier.Length == 0)
        {
            return null;
        }
        string[] ps = modifier[1..^1].Split(',');
        int precision = int.Parse(ps[0], CultureInfo.InvariantCulture);
        int scale = ps.Length > 1 ? int.Parse(ps[1], CultureInfo.InvariantCulture) : 0;
        long digits = IntegerDigits(value.Raw);
        return digits <= precision - scale
            ? null
            : $"{value.Raw} has {digits} digits before the decimal point, numeric{modifier} allows {precision - scale}";
    }

    /// <summary>Digits before the decimal point of a JSON number once its exponent is applied (0 for |x| &lt; 1).</summary>
    private static long IntegerDigits(string raw)
    {
        string s = raw.TrimStart('-');
        long exponent = 0;
        int e = s.IndexOfAny(['e', 'E']);
        if (e >= 0)
        {
            // A JSON exponent beyond the long range is absurd; clamp it so the count stays meaningful.
            exponent = long.TryParse(s.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long x) ? x : (s[e + 1] == '-' ? -1_000_000 : 1_000_000);
            s = s[..e];
        }
        int point = s.IndexOf('.', StringComparison.Ordinal);
        string digits = point < 0 ? s : s.Remove(point, 1);
        long pointPos = point < 0 ? s.Length : point;
        int leadingZeros = 0;
        while (leadingZeros < digits.Length && digits[leadingZeros] == '0')
        {
            leadingZeros++;
        }
        if (leadingZeros == digits.Length)
        {
            return 0;
        }
        return Math.Max(0, pointPos + exponent - leadingZeros);
    }

    private static string? Text(MappingNode value, int maxChars)
    {
        if (value.Kind != MappingNodeKind.String)
        {
            return "expected a string";
        }
        string s = value.Text!;
        if (s.Contains('\0', StringComparison.Ordinal))
        {
            return "PostgreSQL text cannot hold the NUL character \\u0000; remove it";
        }
        if (maxChars > 0)
        {
            int chars = 0;
            foreach (System.Text.Rune _ in s.EnumerateRunes())
            {
                chars++;
            }
            if (chars > maxChars)
            {
                return $"the string has {chars} characters, varchar({maxChars}) holds at most {maxChars}";
            }
        }
        return null;
    }

    private static string? Timestamp(MappingNode value)
    {
        const string expect = "expected an ISO-8601 date-time string such as \"2024-01-31T12:00:00Z\" or \"2024-01-31 12:00:00+02:00\"";
        return value.Kind == MappingNodeKind.String
            && DateTimeOffset.TryParseExact(value.Text, TimestampFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _)
            ? null
            : expect;
    }

    private static string? Date(MappingNode value)
        => value.Kind == MappingNodeKind.String
            && DateTime.TryParseExact(value.Text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
            ? null
            : "expected an ISO-8601 date string such as \"2024-01-31\"";

    private static string? Uuid(MappingNode value)
        => value.Kind == MappingNodeKind.String
            && (Guid.TryParseExact(value.Text, "D", out _) || Guid.TryParseExact(value.Text, "N", out _) || Guid.TryParseExact(value.Text, "B", out _))
            ? null
            : "expected a UUID string such as \"123e4567-e89b-12d3-a456-426614174000\"";

    private static string? Bytea(MappingNode value)
    {
        if (value.Kind != MappingNodeKind.String)
        {
            return "expected a base64 string";
        }
        string s = value.Text!;
        byte[] buffer = new byte[s.Length];
        return Convert.TryFromBase64String(s, buffer, out _) ? null : "expected a base64 string such as \"3q2+7w==\"";
    }

    private static string[] BuildTimestampFormats()
    {
        var formats = new List<string> { "yyyy-MM-dd" };
        string[] times = ["HH:mm", "HH:mm:ss", "HH:mm:ss.FFFFFFF"];
        string[] zones = ["", "'Z'", "zzz", "zz"];
        foreach (string sep in (string[])["'T'", "' '"])
        {
            foreach (string time in times)
            {
                foreach (string zone in zones)
                {
                    formats.Add("yyyy-MM-dd" + sep + time + zone);
                }
            }
        }
        return [.. formats];
    }
}
