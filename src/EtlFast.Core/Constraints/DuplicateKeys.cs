using System.Buffers;
using EtlFast.Core.Load;
using EtlFast.Core.Plan;
using Npgsql;

namespace EtlFast.Core.Constraints;

/// <summary>A key built after the data: a table's primary key or one of its unique indexes (column positions in the table).</summary>
internal sealed record KeySpec(TablePlan Table, int[] Columns)
{
    /// <summary>The key's columns as SQL: <c>"a", "b"</c>.</summary>
    public string ColumnList => string.Join(", ", Columns.Select(c => Sql.Quote(Table.Columns[c].Name)));

    /// <summary>A value as PostgreSQL shows it: <c>id=11</c>, <c>(a, b)=(1, x)</c>.</summary>
    public string Display(IReadOnlyList<string> values) => Columns.Length == 1
        ? $"{Table.Columns[Columns[0]].Name}={values[0]}"
        : $"({string.Join(", ", Columns.Select(c => Table.Columns[c].Name))})=({string.Join(", ", values)})";
}

/// <summary>One duplicated value of a key, and the documents a new read of the source found carrying it.</summary>
internal sealed class DuplicateValue(KeySpec key, string display, byte[] tuple)
{
    /// <summary>Documents named in messages per value.</summary>
    public const int Shown = 3;

    public KeySpec Key => key;
    public string Display => display;
    /// <summary>The key's fields as binary COPY writes them, length prefixes included, in key order.</summary>
    public byte[] Tuple => tuple;
    /// <summary>The first <see cref="Shown"/> documents carrying the value, in source order, with how many of its rows each yields.</summary>
    public List<(long Offset, string Id, int Times)> Documents { get; } = [];
    public int DocumentCount { get; set; }
    /// <summary>With --on-error reject: the document whose rows keep the value.</summary>
    public (long Offset, string Id)? Keeper { get; set; }
}

/// <summary>A document to take out of the load because it repeats a key.</summary>
internal sealed record DuplicateReject(byte[] Document, string Id, long Offset, long Chunk, string Reason);

/// <summary>
/// What a load does when building a primary key or unique index after the data fails on a duplicate
/// (SQLSTATE 23505): it finds the duplicated values (GROUP BY ... HAVING count(*) &gt; 1) and, by a new
/// read of the source through the same encoder, the documents whose rows carry them. It then stops
/// naming them, or (<c>--on-error reject</c>) rejects every document after the first that repeats a
/// key, in source order, as <c>--constraints before</c> would have. Costs nothing when keys build.
/// </summary>
public sealed class DuplicateKeys(LoadPlan plan, LoadOptions options, string? runId, ILoadObserver observer, CancellationToken cancel)
{
    /// <summary>Duplicated values looked up per key when the load stops (the message names the first).</summary>
    private const int StopLookups = 5;

    /// <summary>
    /// Settles the duplicates behind refused key builds of <paramref name="wave"/> (0: primary keys, 1:
    /// unique indexes) on <paramref name="tables"/>. Throws a <see cref="LoadException"/> naming the
    /// documents, unless rejecting: then they are taken out and true says the keys can be built again.
    /// False when no duplicate is found (the caller reports PostgreSQL's own refusal).
    /// </summary>
    public bool Settle(NpgsqlConnection conn, int wave, IReadOnlyCollection<string> tables, bool rejectAllowed = true)
    {
        KeySpec[] keys = KeysOf(wave, tables);
        bool reject = rejectAllowed && options.OnError == ErrorAction.Reject;
        var values = new List<DuplicateValue>[keys.Length];
        for (int k = 0; k < keys.Length; k++)
        {
            values[k] = Find(conn, keys[k], reject ? null : StopLookups);
        }
        List<DuplicateValue> all = [.. values.SelectMany(v => v)];
        if (all.Count == 0)
        {
            return false;
        }
        if (runId is null)
        {
            DuplicateValue first = all[0];
            throw new LoadException(FailureKind.Data, $"duplicate key in table \"{first.Key.Table.Name}\": {first.Display} is duplicated",
                "standard input cannot be read again to find the documents that carry it; the rows are loaded, but not the keys",
                "save the stream to a file and load the file: it names the documents, and --on-error reject rejects those that repeat a key");
        }
        observer.Phase($"{all.Count:N0}{(reject ? "" : "+")} duplicated key value{(all.Count == 1 ? "" : "s")}: reading the source again to find the documents that carry them");
        var trace = new DuplicateTrace(plan, options, keys, values, reject, cancel);
        trace.Run(RecordedRejects(conn));
        if (!reject || all.Any(v => !v.Documents.Any(d => d.Times > 1) && v.DocumentCount < 2))
        {
            throw Stop(all, trace.SourceName, trace.Live, limited: !reject);
        }
        long before = CountRejects(conn);
        if (before + trace.Rejected.Count > options.MaxRejects)
        {
            throw new LoadException(FailureKind.Data, $"more than {options.MaxRejects:N0} documents were rejected; stopping",
                $"{trace.Rejected.Count:N0} documents repeat a key, and {before:N0} were rejected before; the first: {trace.Rejected[0].Reason}",
                "raise --max-rejects to accept more; the rows are loaded, but not the keys, and the load stays unfinished (--resume)");
        }
        observer.Phase($"rejecting {trace.Rejected.Count:N0} document{(trace.Rejected.Count == 1 ? " that repeats" : "s that repeat")} a key");
        DuplicateRejects.Commit(conn, plan, runId, trace.Rejected, trace.SourceName);
        return true;
    }

    /// <summary>The keys of the wave on these tables, as <see cref="SchemaBuilder.ConstraintWaves"/> builds them.</summary>
    private KeySpec[] KeysOf(int wave, IReadOnlyCollection<string> tables)
    {
        var keys = new List<KeySpec>();
        foreach (TablePlan t in plan.Tables.Where(t => tables.Contains(t.Name)))
        {
            int[] Positions(IEnumerable<string> names) => [.. names.Select(n => Array.FindIndex(t.Columns, c => c.Name == n))];
            if (wave == 0 && t.Mapping.PrimaryKey.Count > 0)
            {
                keys.Add(new KeySpec(t, Positions(t.Mapping.PrimaryKey)));
            }
            if (wave == 1)
            {
                keys.AddRange(t.Mapping.Indexes.Where(i => i.Unique).Select(i => new KeySpec(t, Positions(i.Columns))));
            }
        }
        return [.. keys];
    }

    /// <summary>The key's duplicated values, in key order: their bytes as COPY gives them (what the encoder writes) and their text.</summary>
    private static List<DuplicateValue> Find(NpgsqlConnection conn, KeySpec key, int? limit)
    {
        string columns = key.ColumnList;
        string texts = string.Join(", ", key.Columns.Select(c => Sql.Quote(key.Table.Columns[c].Name) + "::text"));
        string sql = $"COPY (SELECT {columns}, {texts} FROM {key.Table.QualifiedName} GROUP BY {columns} HAVING count(*) > 1 ORDER BY {string.Join(", ", key.Columns.Select((_, i) => i + 1))}{(limit is null ? "" : $" LIMIT {limit}")}) TO STDOUT (FORMAT BINARY)";
        var bytes = new MemoryStream();
        using (NpgsqlRawCopyStream copy = conn.BeginRawBinaryCopy(sql))
        {
            copy.CopyTo(bytes);
        }
        var found = new List<DuplicateValue>();
        int n = key.Columns.Length;
        var fields = new (int Start, int Length)[2 * n];
        var rows = CopyRows.OfStream(bytes.GetBuffer().AsSpan(0, (int)bytes.Length));
        while (rows.Next(fields, out _))
        {
            var text = new string[n];
            var tuple = new ArrayBufferWriter<byte>();
            for (int i = 0; i < n; i++)
            {
                tuple.Write(rows.Field(fields[i]));
                text[i] = rows.Text(fields[n + i]);
            }
            found.Add(new DuplicateValue(key, key.Display(text), tuple.WrittenSpan.ToArray()));
        }
        return found;
    }

    /// <summary>Documents the run rejected before (their rows were never loaded): by byte offset for a file, by _id for a live source.</summary>
    private (HashSet<long> Offsets, HashSet<string> Ids) RecordedRejects(NpgsqlConnection conn)
    {
        var offsets = new HashSet<long>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        using var cmd = new NpgsqlCommand($"SELECT source_offset, document_id FROM {Checkpoints.Schema}.rejects WHERE run_id = $1", conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = runId });
        using NpgsqlDataReader r = cmd.ExecuteReader();
        while (r.Read())
        {
            offsets.Add(r.GetInt64(0));
            ids.Add(r.GetString(1));
        }
        return (offsets, ids);
    }

    private long CountRejects(NpgsqlConnection conn)
    {
        using var cmd = new NpgsqlCommand($"SELECT count(*) FROM {Checkpoints.Schema}.rejects WHERE run_id = $1", conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = runId });
        return (long)cmd.ExecuteScalar()!;
    }

    private static LoadException Stop(List<DuplicateValue> all, string sourceName, bool live, bool limited)
    {
        DuplicateValue first = all[0];
        string Origin(DuplicateValue v, bool named = true)
        {
            if (v.DocumentCount == 0)
            {
                return $"is duplicated, but no document of {sourceName} yields it when read again (has the source changed since the load?)";
            }
            var documents = v.Documents.Select(d => $"document _id {d.Id}{(live ? "" : $" at byte offset {d.Offset}")}{(d.Times > 1 ? $" ({d.Times} times)" : "")}").ToList();
            if (v.DocumentCount > documents.Count)
            {
                documents.Add($"{v.DocumentCount - documents.Count} more document{(v.DocumentCount - documents.Count == 1 ? "" : "s")}");
            }
            string list = documents.Count == 1 ? documents[0] : string.Join(", ", documents[..^1]) + " and " + documents[^1];
            return $"comes from {list}{(named ? $" of {sourceName}" : "")}";
        }
        string? detail = all.Count == 1 ? null
            : $"{all.Count}{(limited ? " or more" : "")} duplicated key values; also " + string.Join("; ", all.Skip(1).Take(4).Select(v => $"table \"{v.Key.Table.Name}\": {v.Display} {Origin(v, named: false)}"))
              + (all.Count > 5 ? "; ..." : "");
        return new LoadException(FailureKind.Data, $"duplicate key in table \"{first.Key.Table.Name}\": {first.Display} {Origin(first)}", detail,
            "the rows are loaded but the keys are not, and the load stays unfinished: run the same command with --resume --on-error reject "
            + "to keep the first document of each key and reject the others, or fix the source and load it again with --mode clean");
    }
}
