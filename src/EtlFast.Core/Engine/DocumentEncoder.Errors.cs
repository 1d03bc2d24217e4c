using System.Diagnostics.CodeAnalysis;
using System.Text;
using EtlFast.Bson;
using EtlFast.Bson.Json;
using EtlFast.Core.Plan;
using EtlFast.PgCopy;

namespace EtlFast.Core.Engine;

// Cold paths: messages that name the document, the field (with array positions), the table and the column.
public sealed partial class DocumentEncoder
{
    [DoesNotReturn]
    private bool Fail(TablePlan table, ColumnPlan column, in ValueRef r, string reason) => throw Describe(table, column, r, reason);

    private DataException Describe(TablePlan table, ColumnPlan column, ValueRef r, string reason)
    {
        string field = r.Kind switch
        {
            ValueRefKind.Slot => FieldPath(_plan.Contexts[r.Context], r.Slot),
            ValueRefKind.ContextValue => ItemPath(_plan.Contexts[r.Context]),
            _ => r.Display,
        };
        return new DataException(DescribeId(_document.Span), _sourceOffset, _sourceName, field, table.Name, column.Name, reason,
            "fix the document, or set a policy on the column (\"onMissing\", \"onNull\", \"onTypeMismatch\": \"null\", \"default\" or \"reject\")");
    }

    /// <summary>
    /// A mapped field name the document holds twice at one level ({v: "first", v: "second"}: MongoDB's
    /// drivers never write one, but other tools can). Loading either value would drop the other silently.
    /// </summary>
    private DataException Repeated(ContextPlan context, FieldNode node)
    {
        string outer = ItemPath(context);
        string field = outer.Length == 0 ? node.DottedPath : outer + "." + node.DottedPath;
        (string table, string column) = OwnerOf(field);
        return new DataException(DescribeId(_document.Span), _sourceOffset, _sourceName, field, table, column,
            $"the document holds field \"{node.Name}\" more than once at the same level, so loading one value would drop the other silently",
            "fix the document at its source (MongoDB's drivers never write a repeated name), or use --on-error reject to set such documents aside");
    }

    /// <summary>
    /// The table and column fed by a field path such as "messages.2.body" (array positions ignored), for
    /// messages about malformed values; the first table when no column takes that field.
    /// </summary>
    private (string Table, string Column) OwnerOf(string path)
    {
        string wanted = string.Join('.', path.Split('.').Where(p => p.Length == 0 || !p.All(char.IsAsciiDigit)));
        foreach (TablePlan table in _plan.Tables)
        {
            foreach (ColumnPlan column in table.Columns)
            {
                foreach (ValueRef r in column.Terms)
                {
                    if (r.Kind != ValueRefKind.Slot)
                    {
                        continue;
                    }
                    ContextPlan c = _plan.Contexts[r.Context];
                    string inner = FindNode(c.Fields, r.Slot)?.DottedPath ?? "";
                    string outer = string.Join('.', c.Path.Select(p => p.Name));
                    string full = outer.Length == 0 ? inner : outer + "." + inner;
                    if (full == wanted || wanted.StartsWith(full + ".", StringComparison.Ordinal))
                    {
                        return (table.Name, column.Name);
                    }
                }
            }
        }
        return (_plan.Tables[0].Name, "");
    }

    /// <summary>e.g. "messages.2.attachments.0.size": the context's array path with the current positions, then the field.</summary>
    private string FieldPath(ContextPlan context, int slot)
    {
        string inner = FindNode(context.Fields, slot)?.DottedPath ?? "?";
        string outer = ItemPath(context);
        return outer.Length == 0 ? inner : outer + "." + inner;
    }

    private string ItemPath(ContextPlan context)
    {
        if (context.Parent is null)
        {
            return "";
        }
        var sb = new StringBuilder(ItemPath(context.Parent));
        int start = context.Parent.Path.Count;
        for (int i = start; i < context.Path.Count; i++)
        {
            if (sb.Length > 0)
            {
                sb.Append('.');
            }
            sb.Append(context.Path[i].Name);
        }
        sb.Append('.').Append(_index[context.Index]);
        return sb.ToString();
    }

    private static FieldNode? FindNode(FieldNode node, int slot)
    {
        if (node.Slot == slot && node.Parent is not null)
        {
            return node;
        }
        foreach (FieldNode c in node.Children)
        {
            if (FindNode(c, slot) is { } found)
            {
                return found;
            }
        }
        return null;
    }

    /// <summary>
    /// A document over MongoDB's 16 MiB limit (a dump can hold one, written by an old server or a tool):
    /// refused whole, naming its largest top-level field, before any of its rows is encoded.
    /// </summary>
    private DataException Oversized(ReadOnlySpan<byte> document, long sourceOffset)
    {
        string field = "";
        int largest = -1;
        try
        {
            BsonReader reader = BsonReader.Create(document, sourceOffset);
            while (reader.Read())
            {
                if (reader.ValueLength > largest)
                {
                    largest = reader.ValueLength;
                    field = Encoding.UTF8.GetString(reader.Name);
                }
            }
        }
        catch (BsonException e)
        {
            throw new DataException(DescribeId(document), sourceOffset, _sourceName, e.Path, _plan.Tables[0].Name, "",
                $"malformed BSON: {e.Message}", "the document is corrupt at that offset");
        }
        string biggest = largest < 0 ? "" : $"; its largest field is \"{field}\" ({largest:N0} bytes)";
        return new DataException(DescribeId(document), sourceOffset, _sourceName, field, _plan.Tables[0].Name, "",
            $"the document is {document.Length:N0} bytes, over MongoDB's 16 MiB limit for a document{biggest}",
            "MongoDB cannot store this document as it is; use --on-error reject to set it aside and load the rest");
    }

    /// <summary>The document's <c>_id</c> as relaxed Extended JSON, or "(unknown)" when it cannot be found.</summary>
    public static string DescribeId(ReadOnlySpan<byte> document)
    {
        try
        {
            BsonReader reader = BsonReader.Create(document);
            if (!reader.ReadTo("_id"u8))
            {
                return "(none)";
            }
            using var buffer = new CopyBuffer(256);
            BsonJsonWriter.WriteValue(ref reader, buffer);
            return Encoding.UTF8.GetString(buffer.WrittenSpan);
        }
        catch (BsonException)
        {
            return "(unreadable)";
        }
    }
}
