using System.Globalization;

namespace EtlFast.Core.Mapping;

/// <summary>PostgreSQL type names as a mapping writes them (with aliases) and as SQL spells them.</summary>
public static class PgTypeNames
{
    private static readonly (string Name, PgType Type)[] Aliases =
    [
        ("smallint", PgType.SmallInt), ("int2", PgType.SmallInt),
        ("integer", PgType.Integer), ("int", PgType.Integer), ("int4", PgType.Integer),
        ("bigint", PgType.BigInt), ("int8", PgType.BigInt),
        ("real", PgType.Real), ("float4", PgType.Real),
        ("double precision", PgType.DoublePrecision), ("float8", PgType.DoublePrecision), ("double", PgType.DoublePrecision),
        ("numeric", PgType.Numeric), ("decimal", PgType.Numeric),
        ("boolean", PgType.Boolean), ("bool", PgType.Boolean),
        ("text", PgType.Text),
        ("varchar", PgType.Varchar), ("character varying", PgType.Varchar),
        ("timestamptz", PgType.TimestampTz), ("timestamp with time zone", PgType.TimestampTz),
        ("timestamp", PgType.Timestamp), ("timestamp without time zone", PgType.Timestamp),
        ("date", PgType.Date),
        ("jsonb", PgType.Jsonb),
        ("json", PgType.Json),
        ("bytea", PgType.Bytea),
        ("uuid", PgType.Uuid),
    ];

    /// <summary>The canonical SQL name, without modifier: "bigint", "double precision", "timestamptz" ...</summary>
    public static string SqlName(PgType type) => type switch
    {
        PgType.SmallInt => "smallint",
        PgType.Integer => "integer",
        PgType.BigInt => "bigint",
        PgType.Real => "real",
        PgType.DoublePrecision => "double precision",
        PgType.Numeric => "numeric",
        PgType.Boolean => "boolean",
        PgType.Text => "text",
        PgType.Varchar => "varchar",
        PgType.TimestampTz => "timestamptz",
        PgType.Timestamp => "timestamp",
        PgType.Date => "date",
        PgType.Jsonb => "jsonb",
        PgType.Json => "json",
        PgType.Bytea => "bytea",
        PgType.Uuid => "uuid",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>The column's type for DDL, e.g. "numeric(12,2)" or "varchar(20)".</summary>
    public static string SqlType(ColumnMapping column)
    {
        ArgumentNullException.ThrowIfNull(column);
        return SqlName(column.Type) + column.TypeModifier;
    }

    /// <summary>True for the types integer arithmetic, <c>$ordinal</c> and <c>$index</c> may fill.</summary>
    public static bool IsIntegerTarget(PgType type)
        => type is PgType.SmallInt or PgType.Integer or PgType.BigInt or PgType.Numeric;

    /// <summary>
    /// Parses a mapping's <c>type</c> ("BIGINT", "character varying(20)", "numeric(12, 2)"). On failure
    /// returns false with the reason in <paramref name="error"/>.
    /// </summary>
    internal static bool TryParse(string written, out PgType type, out string modifier, out string error)
    {
        type = PgType.Text;
        modifier = "";
        error = "";
        string s = written.Trim();
        string args = "";
        bool hasArgs = false;
        int open = s.IndexOf('(', StringComparison.Ordinal);
        if (open >= 0)
        {
            if (!s.EndsWith(')'))
            {
                error = $"type \"{written}\" has an unclosed \"(\"; write e.g. \"numeric(12,2)\" or \"varchar(20)\"";
                return false;
            }
            args = s[(open + 1)..^1];
            hasArgs = true;
            s = s[..open];
        }
        string name = string.Join(' ', s.ToLowerInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        bool found = false;
        foreach ((string alias, PgType t) in Aliases)
        {
            if (alias == name)
            {
                type = t;
                found = true;
                break;
            }
        }
        if (!found)
        {
            var names = new List<string>(Aliases.Length);
            foreach ((string alias, _) in Aliases)
            {
                names.Add(alias);
            }
            error = $"unknown type \"{written}\"{Suggestions.DidYouMean(name, names)}; use one of smallint, integer, bigint, real, double precision, numeric, boolean, text, varchar, timestamptz, timestamp, date, jsonb, json, bytea, uuid";
            return false;
        }
        if (!hasArgs)
        {
            return true;
        }
        string[] parts = args.Split(',');
        var numbers = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out numbers[i]))
            {
                error = $"type \"{written}\" has a modifier that is not a list of whole numbers; write e.g. \"numeric(12,2)\" or \"varchar(20)\"";
                return false;
            }
        }
        switch (type)
        {
            case PgType.Varchar when numbers.Length == 1:
                if (numbers[0] is < 1 or > 10_485_760)
                {
                    error = $"type \"{written}\": the length of varchar must be between 1 and 10485760; use text for unbounded strings";
                    return false;
                }
                modifier = $"({numbers[0]})";
                return true;
            case PgType.Numeric when numbers.Length is 1 or 2:
                int precision = numbers[0];
                int scale = numbers.Length == 2 ? numbers[1] : 0;
                if (precision is < 1 or > 1000 || scale > precision)
                {
                    error = $"type \"{written}\": numeric(p,s) needs a precision p between 1 and 1000 and a scale s between 0 and p";
                    return false;
                }
                modifier = numbers.Length == 2 ? $"({precision},{scale})" : $"({precision})";
                return true;
            case PgType.Varchar:
                error = $"type \"{written}\": varchar takes one length, e.g. \"varchar(20)\"";
                return false;
            case PgType.Numeric:
                error = $"type \"{written}\": numeric takes a precision and an optional scale, e.g. \"numeric(12,2)\"";
                return false;
            default:
                error = $"type \"{written}\" takes no modifier; write \"{SqlName(type)}\" without \"({args})\"";
                return false;
        }
    }
}
