using System.Text;
using System.Text.Json;
using EtlFast.Core.Engine;
using EtlFast.Core.Load;
using EtlFast.Core.Mapping;
using EtlFast.Core.Plan;
using EtlFast.PgCopy;
using Npgsql;

namespace EtlFast.Core.Sync;

/// <summary>
/// Applies a batch of document changes to the tables a mapping loads, in one transaction with the
/// stream position: the changed documents' _ids are copied into a temporary table, their new rows
/// (encoded by the load's own encoder) into temporary copies of the tables, then every row of those
/// documents is deleted (children first, found through <see cref="DocumentRows"/>) and the new rows
/// inserted (parents first), so keys and foreign keys hold throughout. Replaying a batch already
/// applied changes nothing: a change the snapshot saw, or one applied again after a crash, is harmless.
/// </summary>
public sealed class ChangeApplier : IDisposable
{
    private readonly LoadPlan _plan;
    private readonly DocumentRows _rows;
    private readonly LoadPlan _staging;
    private readonly LoadPlan _keyPlan;
    private readonly DocumentEncoder _documents;
    private readonly DocumentEncoder _keys;
    private readonly string _sourceName;
    private readonly string[] _insertSql;
    private readonly string[] _deleteSql;

    public ChangeApplier(LoadPlan plan, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(plan);
        _plan = plan;
        _sourceName = sourceName;
        _rows = DocumentRows.For(plan);
        // The same mapping compiled into the session's temporary schema: the encoder's COPY goes to the staging copies.
        _staging = PlanCompiler.Compile(plan.Mapping, "pg_temp");
        _keyPlan = PlanCompiler.Compile(KeyMapping(plan.Mapping, _rows.KeyColumn), "pg_temp");
        _documents = new DocumentEncoder(_staging);
        _keys = new DocumentEncoder(_keyPlan);
        _insertSql = [.. plan.Tables.Select(t =>
        {
            string columns = string.Join(", ", t.Columns.Select(c => PgIdentifier.Quote(c.Name)));
            return $"INSERT INTO {t.QualifiedName} ({columns}) SELECT {columns} FROM pg_temp.{PgIdentifier.Quote(t.Name)}";
        })];
        _deleteSql = [.. plan.Tables.Select(t => $"DELETE FROM {t.QualifiedName} WHERE {_rows.Selects(t.Index)}")];
    }

    /// <summary>Creates the session's staging tables (empty at every commit); once per connection.</summary>
    public void Prepare(NpgsqlConnection conn)
    {
        ArgumentNullException.ThrowIfNull(conn);
        var sql = new StringBuilder();
        foreach (TablePlan t in _plan.Tables)
        {
            sql.Append($"CREATE TEMP TABLE IF NOT EXISTS {PgIdentifier.Quote(t.Name)} (LIKE {t.QualifiedName} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS;\n");
        }
        sql.Append($"CREATE TEMP TABLE IF NOT EXISTS {PgIdentifier.Quote(DocumentRows.KeysTable)} (k {PgTypeNames.SqlType(_rows.KeyColumn)}) ON COMMIT DELETE ROWS;");
        SchemaBuilder.Execute(conn, sql.ToString());
    }

    /// <summary>What one batch did to each table, in mapping order.</summary>
    public sealed record Applied(long[] Deleted, long[] Inserted);

    /// <summary>
    /// Applies <paramref name="batch"/> and stores the position it ends at, in one transaction. A document the
    /// mapping cannot convert stops it (nothing of the batch is written) with the document and field named.
    /// </summary>
    public Applied Apply(NpgsqlConnection conn, ChangeBatch batch, string syncId, byte[] resumeToken, long clusterTime)
    {
        ArgumentNullException.ThrowIfNull(conn);
        ArgumentNullException.ThrowIfNull(batch);
        Encode(batch);
        var deleted = new long[_plan.Tables.Length];
        var inserted = new long[_plan.Tables.Length];
        using NpgsqlTransaction tx = conn.BeginTransaction();
        if (batch.Count > 0)
        {
            Copy(conn, _keyPlan.Tables[0].CopySql, _keys.Buffers[0]);
            for (int t = 0; t < _plan.Tables.Length; t++)
            {
                Copy(conn, _staging.Tables[t].CopySql, _documents.Buffers[t]);
            }
            for (int t = _plan.Tables.Length - 1; t >= 0; t--)
            {
                deleted[t] = Execute(conn, _deleteSql[t]);
            }
            for (int t = 0; t < _plan.Tables.Length; t++)
            {
                inserted[t] = _documents.Buffers[t].Rows == 0 ? 0 : Execute(conn, _insertSql[t]);
            }
        }
        SyncPositions.Write(conn, syncId, resumeToken, clusterTime, batch.Events);
        tx.Commit();
        return new Applied(deleted, inserted);
    }

    private void Encode(ChangeBatch batch)
    {
        _keys.BeginChunk(_sourceName);
        _documents.BeginChunk(_sourceName);
        foreach (ChangeBatch.Change change in batch.Changes)
        {
            _keys.Encode(change.Key, sourceOffset: -1);
            if (change.Document is not { } document)
            {
                continue;
            }
            string? refused;
            try
            {
                refused = _documents.Encode(document, sourceOffset: -1) ? null : _documents.LastReject;
            }
            catch (DataException e)
            {
                refused = e.Message;
            }
            if (refused is not null)
            {
                throw new LoadException(FailureKind.Data,
                    $"a changed document of {_sourceName} cannot be stored as the mapping says: {refused}",
                    "the batch was not applied; the stored position is the one before it",
                    "fix the document in MongoDB (its next change is applied) or the mapping (then load again with --mode clean)");
            }
        }
        _keys.EndChunk();
        _documents.EndChunk();
    }

    private static void Copy(NpgsqlConnection conn, string copySql, CopyBuffer buffer)
    {
        if (buffer.Rows == 0)
        {
            return;
        }
        using NpgsqlRawCopyStream copy = conn.BeginRawBinaryCopy(copySql);
        copy.Write(buffer.WrittenSpan);
    }

    private static long Execute(NpgsqlConnection conn, string sql)
    {
        using var cmd = new NpgsqlCommand(sql, conn);
        return cmd.ExecuteNonQuery();
    }

    /// <summary>A one-table mapping that turns a document key into the _id column's value: the load's converter, applied to keys.</summary>
    private static MappingDocument KeyMapping(MappingDocument mapping, ColumnMapping key)
    {
        string json = $$"""
            {"collection": {{JsonSerializer.Serialize(mapping.Collection, SyncJson.Default.String)}},
             "tables": [{"name": "{{DocumentRows.KeysTable}}",
                         "columns": [{"name": "k", "type": {{JsonSerializer.Serialize(PgTypeNames.SqlType(key), SyncJson.Default.String)}}, "from": "_id"}]}]}
            """;
        return MappingParser.Parse(Encoding.UTF8.GetBytes(json), "(the _id column of " + mapping.FileName + ")");
    }

    public void Dispose()
    {
        _documents.Dispose();
        _keys.Dispose();
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class SyncJson : System.Text.Json.Serialization.JsonSerializerContext;
