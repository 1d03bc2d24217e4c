using System.Buffers.Binary;
using EtlFast.Core.Engine;
using EtlFast.Core.Load;
using EtlFast.Core.Plan;
using EtlFast.Core.Sources;
using Npgsql;

namespace EtlFast.Core.Verify;

/// <summary>The verdict for one table.</summary>
public sealed record TableVerdict(string Table, long SourceRows, long TableRows, bool Match, IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected);

/// <summary>
/// Recomputes every row from the source with the same plan and encoder as a load, lands them in
/// temporary tables, and compares each target table with its recomputed rows by row count and an
/// order-independent checksum (the sum of a 64-bit hash of each row's text); for a table that differs
/// it shows a few rows missing from or unexpected in the table. Documents the latest load of this
/// source into this schema rejected (<c>--on-error reject</c>, recorded in <c>etlfast.rejects</c>) are
/// left out, as the load left them out: by byte offset for a file, by <c>_id</c> for a live collection.
/// </summary>
public sealed class Verifier(LoadPlan plan, LoadOptions options)
{
    /// <summary>The offsets and ids of the documents rejected by the latest load of this source into this schema.</summary>
    private (HashSet<long> Offsets, HashSet<string> Ids) Rejected(NpgsqlConnection conn)
    {
        var offsets = new HashSet<long>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        string? identity = Checkpoints.SourceIdentity(options.From, options.Query);
        if (identity is null)
        {
            return (offsets, ids);
        }
        using (var exists = new NpgsqlCommand("SELECT to_regclass($1) IS NOT NULL", conn))
        {
            exists.Parameters.Add(new NpgsqlParameter { Value = $"{Checkpoints.Schema}.rejects" });
            if (exists.ExecuteScalar() is not true)
            {
                return (offsets, ids);
            }
        }
        using var cmd = new NpgsqlCommand($"""
            SELECT r.source_offset, r.document_id FROM {Checkpoints.Schema}.rejects r
            WHERE r.run_id = (SELECT run_id FROM {Checkpoints.Schema}.runs WHERE source = $1 AND target_schema = $2 ORDER BY started_at DESC LIMIT 1)
            """, conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = identity });
        cmd.Parameters.Add(new NpgsqlParameter { Value = plan.Schema });
        using NpgsqlDataReader r = cmd.ExecuteReader();
        while (r.Read())
        {
            offsets.Add(r.GetInt64(0));
            ids.Add(r.GetString(1));
        }
        return (offsets, ids);
    }

    public IReadOnlyList<TableVerdict> Run(CancellationToken cancel)
    {
        using NpgsqlDataSource dataSource = new NpgsqlSlimDataSourceBuilder(options.Target.ConnectionString).Build();
        using NpgsqlConnection conn = dataSource.OpenConnection();
        var temp = new string[plan.Tables.Length];
        for (int t = 0; t < plan.Tables.Length; t++)
        {
            TablePlan table = plan.Tables[t];
            temp[t] = Sql.Quote($"etlfast_verify_{t}");
            string columns = string.Join(", ", table.Columns.Select(c => $"{Sql.Quote(c.Name)} {c.SqlType}"));
            SchemaBuilder.Execute(conn, $"CREATE TEMP TABLE {temp[t]} ({columns})");
        }

        (HashSet<long> rejectedOffsets, HashSet<string> rejectedIds) = Rejected(conn);
        bool live = MongoSource.IsMongoUri(options.From);
        using IChunkSource source = SourceFactory.Open(plan, options, cancel);
        using var encoder = new DocumentEncoder(plan);
        while (source.Next(cancel) is { } chunk)
        {
            try
            {
                encoder.BeginChunk(source.DisplayName);
                for (int offset = 0; offset < chunk.Length;)
                {
                    int length = BinaryPrimitives.ReadInt32LittleEndian(chunk.Span[offset..]);
                    if ((rejectedOffsets.Count > 0 || rejectedIds.Count > 0) && (live
                            ? rejectedIds.Contains(DocumentEncoder.DescribeId(chunk.Span.Slice(offset, length)))
                            : rejectedOffsets.Contains(chunk.SourceOffset + offset)))
                    {
                        offset += length; // the load set it aside in its reject file
                        continue;
                    }
                    encoder.Encode(chunk.Memory.Slice(offset, length), chunk.SourceOffset + offset); // a rejected document loads no rows
                    offset += length;
                }
                encoder.EndChunk();
                for (int t = 0; t < plan.Tables.Length; t++)
                {
                    if (encoder.Buffers[t].Rows == 0)
                    {
                        continue;
                    }
                    string copy = $"COPY {temp[t]} ({string.Join(", ", plan.Tables[t].Columns.Select(c => Sql.Quote(c.Name)))}) FROM STDIN (FORMAT BINARY)";
                    using NpgsqlRawCopyStream stream = conn.BeginRawBinaryCopy(copy);
                    stream.Write(encoder.Buffers[t].WrittenSpan);
                }
            }
            finally
            {
                chunk.Release();
            }
            cancel.ThrowIfCancellationRequested();
        }

        var verdicts = new List<TableVerdict>();
        for (int t = 0; t < plan.Tables.Length; t++)
        {
            TablePlan table = plan.Tables[t];
            string row = "ROW(" + string.Join(", ", table.Columns.Select(c => Sql.Quote(c.Name))) + ")";
            (long expectedRows, decimal expectedSum) = Checksum(conn, temp[t], row);
            (long actualRows, decimal actualSum) = Checksum(conn, table.QualifiedName, row);
            bool match = expectedRows == actualRows && expectedSum == actualSum;
            verdicts.Add(new TableVerdict(table.Name, expectedRows, actualRows, match,
                match ? [] : Sample(conn, row, temp[t], table.QualifiedName),
                match ? [] : Sample(conn, row, table.QualifiedName, temp[t])));
        }
        return verdicts;
    }

    private static (long Rows, decimal Sum) Checksum(NpgsqlConnection conn, string table, string row)
    {
        using var cmd = new NpgsqlCommand($"SELECT count(*), coalesce(sum(hashtextextended({row}::text, 0)), 0) FROM {table}", conn);
        using NpgsqlDataReader r = cmd.ExecuteReader();
        r.Read();
        return (r.GetInt64(0), r.GetDecimal(1));
    }

    /// <summary>Up to three rows (as text) present in <paramref name="from"/> but not in <paramref name="minus"/>.</summary>
    private static List<string> Sample(NpgsqlConnection conn, string row, string from, string minus)
    {
        var rows = new List<string>();
        using var cmd = new NpgsqlCommand($"SELECT r::text FROM (SELECT {row} AS r FROM {from} EXCEPT ALL SELECT {row} FROM {minus}) d LIMIT 3", conn);
        using NpgsqlDataReader r = cmd.ExecuteReader();
        while (r.Read())
        {
            rows.Add(r.GetString(0));
        }
        return rows;
    }
}
