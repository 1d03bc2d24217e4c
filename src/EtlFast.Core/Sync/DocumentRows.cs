using EtlFast.Core.Load;
using EtlFast.Core.Mapping;
using EtlFast.Core.Plan;
using EtlFast.PgCopy;

namespace EtlFast.Core.Sync;

/// <summary>
/// How the rows that one document produced are found again from the document's <c>_id</c>, table by
/// table, so that a changed or deleted document's rows can be replaced or removed: a table holds a
/// column filled from the document's <c>_id</c> (<c>"from": "_id"</c> in the root table,
/// <c>"$root._id"</c> in any other), or references (through <c>"references"</c>) a table whose rows
/// are found that way. A table reached neither way cannot follow changes; <see cref="For"/> names it.
/// </summary>
public sealed class DocumentRows
{
    /// <summary>The temporary table a batch's changed <c>_id</c>s are copied into.</summary>
    public const string KeysTable = "etlfast_changed_ids";

    private readonly string[] _selectors;

    private DocumentRows(string[] selectors, ColumnMapping keyColumn)
    {
        _selectors = selectors;
        KeyColumn = keyColumn;
    }

    /// <summary>The column whose type the changed <c>_id</c>s are converted to (the first table's <c>_id</c> column).</summary>
    public ColumnMapping KeyColumn { get; }

    /// <summary>
    /// A condition on table <paramref name="table"/>'s rows (the table unaliased) that holds exactly for
    /// the rows of the documents whose <c>_id</c> is in <see cref="KeysTable"/>.
    /// </summary>
    public string Selects(int table) => _selectors[table];

    /// <summary>Works out every table's condition; refuses a mapping with a table its documents' <c>_id</c> does not reach.</summary>
    public static DocumentRows For(LoadPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var selectors = new string?[plan.Tables.Length];
        ColumnMapping? keyColumn = null;
        for (int t = 0; t < plan.Tables.Length; t++)
        {
            TableMapping table = plan.Tables[t].Mapping;
            if (table.Columns.FirstOrDefault(c => IsDocumentId(table, c)) is { } key)
            {
                keyColumn ??= key;
                string cast = PgTypeNames.SqlType(key);
                selectors[t] = $"{PgIdentifier.Quote(key.Name)} IN (SELECT k::{cast} FROM pg_temp.{PgIdentifier.Quote(KeysTable)})";
            }
        }
        // Then the tables reached through a foreign key to a table already reached (parents come first in a mapping).
        for (int t = 0; t < plan.Tables.Length; t++)
        {
            if (selectors[t] is not null)
            {
                continue;
            }
            foreach (ColumnMapping c in plan.Tables[t].Mapping.Columns)
            {
                if (c.References is { } fk && IndexOf(plan, fk.Table) is int parent and >= 0 && parent != t && selectors[parent] is { } through)
                {
                    selectors[t] = $"{PgIdentifier.Quote(c.Name)} IN (SELECT {PgIdentifier.Quote(fk.Column)} FROM {plan.Tables[parent].QualifiedName} WHERE {through})";
                    break;
                }
            }
        }
        string[] unreached = [.. plan.Tables.Where(t => selectors[t.Index] is null).Select(t => t.Name)];
        if (unreached.Length > 0 || keyColumn is null)
        {
            throw new LoadException(FailureKind.Usage,
                $"the mapping of collection {plan.Mapping.Collection} cannot follow changes: the rows of table{(unreached.Length == 1 ? "" : "s")} {string.Join(", ", unreached.Select(n => $"\"{n}\""))} cannot be found from their document's _id",
                "a change replaces all the rows a document produced, found by the document's _id: each table needs a column \"from\": \"_id\" (the root table) or \"$root._id\", or a \"references\" to a table that has one",
                $"add e.g. {{ \"name\": \"doc_id\", \"type\": \"...\", \"from\": \"$root._id\" }} to {(unreached.Length == 1 ? "that table" : "each of them")}");
        }
        return new DocumentRows(selectors!, keyColumn);
    }

    /// <summary>True when the column holds the document's own <c>_id</c>, unchanged (no arithmetic).</summary>
    private static bool IsDocumentId(TableMapping table, ColumnMapping column) =>
        column.Source.Single is { Kind: SourceKind.Field, Path: ["_id"] } r
        && column.Source.Terms[0].Constant == 0
        && (r.Scope == SourceScope.Root || (r.Scope == SourceScope.Current && table.PathSegments.Count == 0));

    private static int IndexOf(LoadPlan plan, string table) => Array.FindIndex(plan.Tables, t => t.Name == table);
}
