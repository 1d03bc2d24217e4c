using System.Globalization;
using System.Text;

namespace EtlFast.Core.Inference;

/// <summary>
/// Writes an <see cref="InferredLayout"/> as a mapping file in the format of docs/mapping.md, with
/// <c>//</c> comments that say what the sample showed. The text is written by hand (no reflection):
/// every name and path goes through <see cref="JsonString"/>, so no field name can break the JSON or a comment.
/// </summary>
public static class MappingWriter
{
    public static string Write(InferredLayout layout, string sample)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var w = new StringBuilder();
        int mixed = layout.Flags.Count(f => f.Kind == FlagKind.MixedTypes);
        int rare = layout.Flags.Count(f => f.Kind == FlagKind.Rare);
        int left = layout.Flags.Count(f => f.Kind == FlagKind.NotMapped);
        int unstorable = layout.Flags.Count(f => f.Kind == FlagKind.Unstorable);
        Comment(w, "", $"Proposed by \"etlfast infer\" from {sample}.");
        Comment(w, "", $"{layout.Tables.Count} table{(layout.Tables.Count == 1 ? "" : "s")}, {layout.Columns} columns. Flagged: {mixed} mixed-type (MIXED), {rare} rare (RARE), {left} not mapped (NOT MAPPED), {unstorable} unstorable (UNSTORABLE).");
        Comment(w, "", "Fields present and non-null in every sampled object are NOT NULL: a document without one stops the load");
        Comment(w, "", "with a message naming it (add \"onMissing\": \"null\" to let it through). Read it, rename freely, then");
        Comment(w, "", "etlfast load --from SOURCE --mapping THIS_FILE --to postgresql://...   (see docs/infer.md, docs/mapping.md)");
        w.Append("{\n");
        if (layout.Database is not null)
        {
            w.Append("  \"database\": ").Append(JsonString(layout.Database)).Append(",\n");
        }
        w.Append("  \"collection\": ").Append(JsonString(layout.Collection)).Append(",\n");
        w.Append("  \"tables\": [\n");
        for (int t = 0; t < layout.Tables.Count; t++)
        {
            WriteTable(w, layout.Tables[t], last: t == layout.Tables.Count - 1);
        }
        w.Append("  ]\n}\n");
        return w.ToString();
    }

    private static void WriteTable(StringBuilder w, InferredTable table, bool last)
    {
        Comment(w, "    ", $"{table.Name}: {table.Description}");
        w.Append("    {\n");
        w.Append("      \"name\": ").Append(JsonString(table.Name)).Append(",\n");
        if (table.Path is not null)
        {
            w.Append("      \"path\": ").Append(JsonString(table.Path)).Append(",\n");
        }
        foreach (string note in table.Notes)
        {
            Comment(w, "      ", note);
        }
        w.Append("      \"columns\": [\n");
        var lines = new List<string>(table.Columns.Count);
        for (int i = 0; i < table.Columns.Count; i++)
        {
            lines.Add(ColumnJson(table.Columns[i]) + (i < table.Columns.Count - 1 ? "," : ""));
        }
        int width = Math.Min(110, lines.Count == 0 ? 0 : lines.Max(l => l.Length));
        for (int i = 0; i < lines.Count; i++)
        {
            w.Append("        ").Append(lines[i]);
            if (table.Columns[i].Comment is { } comment)
            {
                w.Append(' ', Math.Max(1, width - lines[i].Length + 1)).Append("// ").Append(Clean(comment));
            }
            w.Append('\n');
        }
        w.Append("      ]");
        if (table.PrimaryKey.Count > 0)
        {
            w.Append(",\n      \"primaryKey\": [").Append(string.Join(", ", table.PrimaryKey.Select(JsonString))).Append(']');
        }
        if (table.Indexes.Count > 0)
        {
            w.Append(",\n      \"indexes\": [").Append(string.Join(", ", table.Indexes.Select(IndexJson))).Append(']');
        }
        w.Append("\n    }").Append(last ? "" : ",").Append('\n');
    }

    private static string IndexJson(InferredIndex index)
    {
        string columns = "[" + string.Join(", ", index.Columns.Select(JsonString)) + "]";
        return index.Unique ? $"{{ \"columns\": {columns}, \"unique\": true }}" : columns;
    }

    private static string ColumnJson(InferredColumn c)
    {
        var sb = new StringBuilder("{ ");
        sb.Append("\"name\": ").Append(JsonString(c.Name));
        sb.Append(", \"type\": ").Append(JsonString(c.Type));
        sb.Append(", \"from\": ").Append(JsonString(c.From));
        if (c.NullWhenMissing)
        {
            sb.Append(", \"onMissing\": \"null\"");
        }
        if (c.NullWhenNull)
        {
            sb.Append(", \"onNull\": \"null\"");
        }
        if (c.References is not null)
        {
            sb.Append(", \"references\": ").Append(JsonString(c.References));
        }
        return sb.Append(" }").ToString();
    }

    private static void Comment(StringBuilder w, string indent, string text) =>
        w.Append(indent).Append("// ").Append(Clean(text)).Append('\n');

    /// <summary>A comment runs to the end of its line: nothing in it may end the line early.</summary>
    private static string Clean(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            sb.Append(c < ' ' || c is '\u2028' or '\u2029' or '\u0085' ? ' ' : c);
        }
        return sb.ToString();
    }

    /// <summary>A JSON string literal: quotes, backslashes and control characters escaped, everything else as is (the file is UTF-8).</summary>
    public static string JsonString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var sb = new StringBuilder(value.Length + 2);
        sb.Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '"':
                    sb.Append("\\\"");
                    break;
                case '\\':
                    sb.Append("\\\\");
                    break;
                case '\n':
                    sb.Append("\\n");
                    break;
                case '\r':
                    sb.Append("\\r");
                    break;
                case '\t':
                    sb.Append("\\t");
                    break;
                default:
                    if (c < ' ' || c is '\u2028' or '\u2029' or '\u0085')
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }
                    break;
            }
        }
        return sb.Append('"').ToString();
    }
}
