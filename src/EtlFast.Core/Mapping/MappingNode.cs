using System.Text;

namespace EtlFast.Core.Mapping;

/// <summary>Kinds of JSON value in a mapping file.</summary>
internal enum MappingNodeKind : byte
{
    Object,
    Array,
    String,
    Number,
    True,
    False,
    Null,
}

/// <summary>One key of a JSON object, with the line of the key itself (unknown-key errors point at it).</summary>
internal sealed record MappingMember(string Key, int KeyLine, MappingNode Value);

/// <summary>
/// A JSON value of a mapping file with the 1-based line it starts on. The parser reads the whole file into
/// these first (System.Text.Json's DOM keeps no positions), then validates with every line at hand.
/// </summary>
internal sealed class MappingNode
{
    private MappingNode(MappingNodeKind kind, int line, string raw, string? text)
    {
        Kind = kind;
        Line = line;
        Raw = raw;
        Text = text;
    }

    public MappingNodeKind Kind { get; }

    public int Line { get; }

    /// <summary>Scalars: the token as written (strings with their quotes and escapes). Empty for containers.</summary>
    public string Raw { get; }

    /// <summary>Strings: the unescaped value. Null otherwise.</summary>
    public string? Text { get; }

    /// <summary>Objects: the members in file order (keys are unique).</summary>
    public List<MappingMember> Members { get; } = [];

    /// <summary>Arrays: the items in file order.</summary>
    public List<MappingNode> Items { get; } = [];

    public static MappingNode Container(MappingNodeKind kind, int line) => new(kind, line, "", null);

    public static MappingNode String(int line, string raw, string text) => new(MappingNodeKind.String, line, raw, text);

    public static MappingNode Scalar(MappingNodeKind kind, int line, string raw) => new(kind, line, raw, null);

    public MappingNode? Get(string key)
    {
        foreach (MappingMember m in Members)
        {
            if (m.Key == key)
            {
                return m.Value;
            }
        }
        return null;
    }

    /// <summary>"a string", "an object" ... for messages that say what was found.</summary>
    public string Describe() => Kind switch
    {
        MappingNodeKind.Object => "an object",
        MappingNodeKind.Array => "an array",
        MappingNodeKind.String => "a string",
        MappingNodeKind.Number => "a number",
        MappingNodeKind.True or MappingNodeKind.False => "a boolean",
        _ => "null",
    };

    /// <summary>
    /// Compact JSON of this value, comments dropped. Scalars keep their original spelling, so a
    /// <c>default</c> of <c>1.50</c> or <c>"caf\u00e9"</c> reaches the plan exactly as written.
    /// </summary>
    public string ToJson()
    {
        var sb = new StringBuilder();
        AppendJson(sb);
        return sb.ToString();
    }

    private void AppendJson(StringBuilder sb)
    {
        switch (Kind)
        {
            case MappingNodeKind.Object:
                sb.Append('{');
                for (int i = 0; i < Members.Count; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(',');
                    }
                    AppendQuoted(sb, Members[i].Key);
                    sb.Append(':');
                    Members[i].Value.AppendJson(sb);
                }
                sb.Append('}');
                break;
            case MappingNodeKind.Array:
                sb.Append('[');
                for (int i = 0; i < Items.Count; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(',');
                    }
                    Items[i].AppendJson(sb);
                }
                sb.Append(']');
                break;
            default:
                sb.Append(Raw);
                break;
        }
    }

    private static void AppendQuoted(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case < ' ': sb.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture)); break;
                default: sb.Append(c); break;
            }
        }
        sb.Append('"');
    }
}
