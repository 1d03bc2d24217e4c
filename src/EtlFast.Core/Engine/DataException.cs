namespace EtlFast.Core.Engine;

/// <summary>
/// A document that cannot be loaded as the mapping says. Names the document (its <c>_id</c> and byte
/// offset in the source), the field, the table and the column, and says why.
/// </summary>
public sealed class DataException : Exception
{
    public DataException(string documentId, long offset, string source, string field, string table, string column, string reason, string? hint = null)
        : base(Format(documentId, offset, source, field, table, column, reason))
    {
        DocumentId = documentId;
        Offset = offset;
        Field = field;
        Table = table;
        Column = column;
        Reason = reason;
        Hint = hint;
    }

    public string DocumentId { get; }
    public long Offset { get; }
    public string Field { get; }
    public string Table { get; }
    public string Column { get; }
    public string Reason { get; }
    public string? Hint { get; }

    private static string Format(string id, long offset, string source, string field, string table, string column, string reason)
    {
        string where = column.Length == 0 ? $"table \"{table}\"" : $"column \"{column}\" of table \"{table}\"";
        string f = field.Length == 0 ? "" : $" field \"{field}\" for";
        return $"document _id {id} at byte offset {offset} of {source}:{f} {where}: {reason}";
    }
}
