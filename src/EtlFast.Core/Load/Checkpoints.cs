using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace EtlFast.Core.Load;

/// <summary>What the target database remembers of one load (one source, mapping, schema and chunk size).</summary>
public sealed record RunState(string RunId, DateTime StartedAt, DateTime? FinishedAt, string Mode, string Constraints, int Partitions, HashSet<long> CommittedChunks, long CommittedDocuments);

/// <summary>
/// Checkpoints kept in the target database, in the schema "etlfast": one row per run, one row per committed
/// chunk, written in the chunk's own transaction, so the checkpoint and the rows it stands for commit or
/// vanish together. A resumed run skips exactly the committed chunks.
/// </summary>
public static class Checkpoints
{
    public const string Schema = "etlfast";

    /// <summary>A stable identity for a load: the same source, mapping text, schema and chunk size give the same id.</summary>
    public static string RunId(string sourceIdentity, ReadOnlySpan<byte> mappingText, string schema, int chunkBytes)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{sourceIdentity}\n{schema}\n{chunkBytes}\n"));
        hash.AppendData(mappingText);
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..20];
    }

    /// <summary>The source's identity: for a file its full path, size and modification time; for a live source its hosts, namespace and query.</summary>
    public static string? SourceIdentity(string from, string? query)
    {
        if (from == "-")
        {
            return null; // standard input has no identity to resume against
        }
        if (Sources.MongoSource.IsMongoUri(from))
        {
            int at = from.LastIndexOf('@');
            string withoutCredentials = at < 0 ? from : "mongodb://" + from[(at + 1)..];
            return $"{withoutCredentials}|{query}";
        }
        string full = Path.GetFullPath(from);
        if (File.Exists(full))
        {
            var info = new FileInfo(full);
            return $"{full}|{info.Length}|{info.LastWriteTimeUtc.Ticks}";
        }
        return full;
    }

    /// <summary>
    /// The identity of what one load reads: the source, and the namespace when -d/-c choose one the mapping
    /// does not name. Without it, a run over one collection of an archive or a dump directory and a run over
    /// another collection of the same source, with the same mapping, would share their checkpoints, and a
    /// resume would skip chunks that belong to the other collection.
    /// </summary>
    public static string? SourceIdentity(LoadOptions options, Mapping.MappingDocument mapping)
    {
        string? source = SourceIdentity(options.From, options.Query);
        bool chosen = (options.Database is not null && options.Database != mapping.Database)
            || (options.Collection is not null && options.Collection != mapping.Collection);
        return source is null || !chosen ? source : $"{source}|{options.Database ?? mapping.Database}.{options.Collection ?? mapping.Collection}";
    }

    public static void EnsureTables(NpgsqlConnection conn)
    {
        if (Current(conn))
        {
            // ALTER TABLE takes an ACCESS EXCLUSIVE lock even when it has nothing to add: run at every
            // start, it would queue behind (and deadlock with) other loads committing chunks meanwhile.
            return;
        }
        using NpgsqlTransaction tx = conn.BeginTransaction();
        // Serialises concurrent loaders creating the bookkeeping tables for the first time; whoever waited
        // finds them made and leaves them alone (no ALTER TABLE queued behind the first one's chunks).
        SchemaBuilder.Execute(conn, "SELECT pg_advisory_xact_lock(7402220114)");
        if (Current(conn))
        {
            tx.Commit();
            return;
        }
        SchemaBuilder.Execute(conn, $"""
            CREATE SCHEMA IF NOT EXISTS {Schema};
            CREATE TABLE IF NOT EXISTS {Schema}.runs (
              run_id text PRIMARY KEY,
              target_schema text NOT NULL,
              source text NOT NULL,
              mode text NOT NULL,
              constraints text NOT NULL,
              started_at timestamptz NOT NULL DEFAULT now(),
              finished_at timestamptz);
            CREATE TABLE IF NOT EXISTS {Schema}.chunks (
              run_id text NOT NULL REFERENCES {Schema}.runs ON DELETE CASCADE,
              chunk bigint NOT NULL,
              source_offset bigint NOT NULL,
              documents integer NOT NULL,
              rejected integer NOT NULL,
              rows bigint NOT NULL,
              committed_at timestamptz NOT NULL DEFAULT now(),
              PRIMARY KEY (run_id, chunk));
            CREATE TABLE IF NOT EXISTS {Schema}.rejects (
              run_id text NOT NULL REFERENCES {Schema}.runs ON DELETE CASCADE,
              chunk bigint NOT NULL,
              source_offset bigint NOT NULL,
              document_id text NOT NULL,
              reason text NOT NULL,
              document bytea NOT NULL,
              PRIMARY KEY (run_id, source_offset));
            ALTER TABLE {Schema}.runs ADD COLUMN IF NOT EXISTS partitions integer NOT NULL DEFAULT 1;
            CREATE TABLE IF NOT EXISTS {Schema}.parts (
              run_id text NOT NULL REFERENCES {Schema}.runs ON DELETE CASCADE,
              part integer NOT NULL,
              started_at timestamptz NOT NULL DEFAULT now(),
              finished_at timestamptz,
              PRIMARY KEY (run_id, part));
            {RangePlanStore.Ddl}
            """);
        tx.Commit();
    }

    /// <summary>True when the bookkeeping tables exist with every column this version writes (the newest addition checked).</summary>
    private static bool Current(NpgsqlConnection conn)
    {
        using var cmd = new NpgsqlCommand($"""
            SELECT to_regclass('{Schema}.ranges') IS NOT NULL
               AND EXISTS (SELECT FROM pg_attribute WHERE attrelid = to_regclass('{Schema}.chunks') AND attname = 'last_id' AND NOT attisdropped)
               AND EXISTS (SELECT FROM pg_attribute WHERE attrelid = to_regclass('{Schema}.runs') AND attname = 'ranges' AND NOT attisdropped)
            """, conn);
        return cmd.ExecuteScalar() is true;
    }

    public static RunState? Find(NpgsqlConnection conn, string runId)
    {
        DateTime started;
        DateTime? finished;
        string mode, constraints;
        int partitions;
        using (var cmd = new NpgsqlCommand($"SELECT started_at, finished_at, mode, constraints, partitions FROM {Schema}.runs WHERE run_id = $1", conn))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = runId });
            using NpgsqlDataReader r = cmd.ExecuteReader();
            if (!r.Read())
            {
                return null;
            }
            started = r.GetDateTime(0);
            finished = r.IsDBNull(1) ? null : r.GetDateTime(1);
            mode = r.GetString(2);
            constraints = r.GetString(3);
            partitions = r.GetInt32(4);
        }
        var chunks = new HashSet<long>();
        long documents = 0;
        using (var cmd = new NpgsqlCommand($"SELECT chunk, documents FROM {Schema}.chunks WHERE run_id = $1", conn))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = runId });
            using NpgsqlDataReader r = cmd.ExecuteReader();
            while (r.Read())
            {
                chunks.Add(r.GetInt64(0));
                documents += r.GetInt32(1);
            }
        }
        return new RunState(runId, started, finished, mode, constraints, partitions, chunks, documents);
    }

    public static void Begin(NpgsqlConnection conn, string runId, string targetSchema, string source, LoadMode mode, ConstraintTiming constraints, int partitions = 1)
    {
        using var cmd = new NpgsqlCommand($"""
            INSERT INTO {Schema}.runs (run_id, target_schema, source, mode, constraints, partitions) VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (run_id) DO UPDATE SET started_at = now(), finished_at = NULL, mode = EXCLUDED.mode, constraints = EXCLUDED.constraints,
              partitions = EXCLUDED.partitions
            """, conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = runId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = targetSchema });
        cmd.Parameters.Add(new NpgsqlParameter { Value = source });
        cmd.Parameters.Add(new NpgsqlParameter { Value = mode.ToString().ToLowerInvariant() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = constraints.ToString().ToLowerInvariant() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = partitions });
        cmd.ExecuteNonQuery();
        foreach (string table in (string[])["chunks", "rejects", "parts", "ranges"])
        {
            using var clear = new NpgsqlCommand($"DELETE FROM {Schema}.{table} WHERE run_id = $1", conn);
            clear.Parameters.Add(new NpgsqlParameter { Value = runId });
            clear.ExecuteNonQuery();
        }
    }

    /// <summary>Records a chunk inside the transaction that commits its rows; a live chunk with the <c>_id</c> its range goes on after.</summary>
    public static void Record(NpgsqlConnection conn, string runId, long chunk, long sourceOffset, int documents, int rejected, long rows, byte[]? lastId)
    {
        using var cmd = new NpgsqlCommand(
            $"INSERT INTO {Schema}.chunks (run_id, chunk, source_offset, documents, rejected, rows, last_id) VALUES ($1, $2, $3, $4, $5, $6, $7)", conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = runId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = chunk });
        cmd.Parameters.Add(new NpgsqlParameter { Value = sourceOffset });
        cmd.Parameters.Add(new NpgsqlParameter { Value = documents });
        cmd.Parameters.Add(new NpgsqlParameter { Value = rejected });
        cmd.Parameters.Add(new NpgsqlParameter { Value = rows });
        cmd.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bytea, Value = (object?)lastId ?? DBNull.Value });
        cmd.ExecuteNonQuery();
    }

    /// <summary>Records a chunk's rejected documents inside the transaction that commits the chunk.</summary>
    public static void RecordRejects(NpgsqlConnection conn, string runId, long chunk, IReadOnlyList<(byte[] Document, string Id, long Offset, string Reason)> rejects)
    {
        if (rejects.Count == 0)
        {
            return;
        }
        using var cmd = new NpgsqlCommand(
            $"INSERT INTO {Schema}.rejects (run_id, chunk, source_offset, document_id, reason, document) VALUES ($1, $2, $3, $4, $5, $6)", conn);
        var offset = new NpgsqlParameter { Value = 0L };
        var id = new NpgsqlParameter { Value = "" };
        var reason = new NpgsqlParameter { Value = "" };
        var document = new NpgsqlParameter { Value = Array.Empty<byte>() };
        cmd.Parameters.Add(new NpgsqlParameter { Value = runId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = chunk });
        cmd.Parameters.Add(offset);
        cmd.Parameters.Add(id);
        cmd.Parameters.Add(reason);
        cmd.Parameters.Add(document);
        foreach ((byte[] doc, string docId, long at, string why) in rejects)
        {
            offset.Value = at;
            id.Value = docId;
            reason.Value = why;
            document.Value = doc;
            cmd.ExecuteNonQuery();
        }
    }

    /// <summary>Every document the run rejected in the chunks <paramref name="owns"/> accepts, in source order (committed chunks only).</summary>
    public static List<(byte[] Document, string Id, long Offset, string Reason)> Rejects(NpgsqlConnection conn, string runId, Func<long, bool> owns)
    {
        var list = new List<(byte[], string, long, string)>();
        using var cmd = new NpgsqlCommand($"SELECT document, document_id, source_offset, reason, chunk FROM {Schema}.rejects WHERE run_id = $1 ORDER BY source_offset", conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = runId });
        using NpgsqlDataReader r = cmd.ExecuteReader();
        while (r.Read())
        {
            if (owns(r.GetInt64(4)))
            {
                list.Add(((byte[])r.GetValue(0), r.GetString(1), r.GetInt64(2), r.GetString(3)));
            }
        }
        return list;
    }

    /// <summary>
    /// Serialises the processes of a partitioned load around its shared steps (preparing the tables,
    /// joining, finishing): a session-level advisory lock on the run, released by <see cref="Unlock"/> or
    /// by the session's end if the process dies.
    /// </summary>
    public static void Lock(NpgsqlConnection conn, string runId) => RunLockCommand(conn, "pg_advisory_lock", runId);

    public static void Unlock(NpgsqlConnection conn, string runId) => RunLockCommand(conn, "pg_advisory_unlock", runId);

    private static void RunLockCommand(NpgsqlConnection conn, string function, string runId)
    {
        using var cmd = new NpgsqlCommand($"SELECT {function}(hashtextextended($1, 7402220114))", conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = "etlfast run " + runId });
        cmd.ExecuteNonQuery();
    }

    /// <summary>The partitions of a run that have started, each with whether it has finished.</summary>
    public static Dictionary<int, bool> Parts(NpgsqlConnection conn, string runId)
    {
        var parts = new Dictionary<int, bool>();
        using var cmd = new NpgsqlCommand($"SELECT part, finished_at IS NOT NULL FROM {Schema}.parts WHERE run_id = $1", conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = runId });
        using NpgsqlDataReader r = cmd.ExecuteReader();
        while (r.Read())
        {
            parts[r.GetInt32(0)] = r.GetBoolean(1);
        }
        return parts;
    }

    public static void StartPart(NpgsqlConnection conn, string runId, int part)
    {
        using var cmd = new NpgsqlCommand($"INSERT INTO {Schema}.parts (run_id, part) VALUES ($1, $2) ON CONFLICT (run_id, part) DO NOTHING", conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = runId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = part });
        cmd.ExecuteNonQuery();
    }

    /// <summary>Marks a partition finished; returns how many of the run's partitions now are.</summary>
    public static int FinishPart(NpgsqlConnection conn, string runId, int part)
    {
        using var cmd = new NpgsqlCommand($"""
            WITH done AS (UPDATE {Schema}.parts SET finished_at = coalesce(finished_at, now()) WHERE run_id = $1 AND part = $2 RETURNING part)
            SELECT count(*)::int FROM {Schema}.parts WHERE run_id = $1 AND (finished_at IS NOT NULL OR part IN (SELECT part FROM done))
            """, conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = runId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = part });
        return (int)cmd.ExecuteScalar()!;
    }

    public static void Finish(NpgsqlConnection conn, string runId)
    {
        using var cmd = new NpgsqlCommand($"UPDATE {Schema}.runs SET finished_at = now() WHERE run_id = $1", conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = runId });
        cmd.ExecuteNonQuery();
    }
}
