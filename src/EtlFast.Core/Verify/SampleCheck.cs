using EtlFast.Core.Mapping;
using MongoDB.Bson;
using MongoDB.Bson.IO;
using MongoDB.Bson.Serialization;
using MongoDB.Bson.Serialization.Serializers;
using Npgsql;
using NpgsqlTypes;

namespace EtlFast.Core.Verify;

/// <summary>One value that differs: where, and the two texts PostgreSQL printed (null for SQL NULL).</summary>
public sealed record SampleDifference(string Table, string Column, string DocumentId, string? Expected, string? Actual);

/// <summary>What <c>verify --sample</c> found.</summary>
public sealed record SampleReport(int Documents, long Rows, IReadOnlyList<SampleDifference> Differences, long DifferenceCount,
    IReadOnlyList<string> NotChecked, IReadOnlyList<string> Skipped);

/// <summary>
/// <c>verify --sample N</c>: a check of the load's conversions that does not trust its encoder. It
/// picks N documents spread evenly over the source (which ones depends on a seed, so a run can be
/// repeated), decodes them with MongoDB.Bson, renders the rows the mapping says they make with an
/// interpreter of its own (<see cref="SampleRows"/>, <see cref="SampleValues"/>), fetches those rows
/// from PostgreSQL by primary key and compares them column by column as text: each expected literal is
/// cast by PostgreSQL to the column's type and printed (<c>$1::type::text</c>) next to the stored
/// column's <c>::text</c>, in one session with fixed TimeZone, DateStyle and float output, so neither
/// Npgsql's converters nor ours take part in the comparison.
/// </summary>
public sealed class SampleCheck
{
    private const int ShownDifferences = 10;

    private readonly MappingDocument _mapping;
    private readonly string _schema;
    private readonly int _count;
    private readonly ulong _phase;

    // Systematic sampling without knowing the source's size: keep every document whose position is
    // _phase modulo _stride; when more than 2N are kept, double the stride and keep every other one.
    private readonly List<(long Position, byte[] Bytes)> _kept = [];
    private long _stride = 1;

    public SampleCheck(MappingDocument mapping, string schema, int count, ulong seed)
    {
        _mapping = mapping;
        _schema = schema;
        _count = count;
        _phase = SplitMix(seed);
    }

    public SampleReport? Report { get; private set; }

    /// <summary>The seed --sample uses unless given one, so that two runs check the same documents.</summary>
    public const ulong DefaultSeed = 1;

    /// <summary>Called with every document the load kept, in source order.</summary>
    internal void Offer(long position, ReadOnlySpan<byte> document)
    {
        if ((ulong)position % (ulong)_stride != _phase % (ulong)_stride)
        {
            return;
        }
        _kept.Add((position, document.ToArray()));
        if (_kept.Count > 2 * _count)
        {
            _stride *= 2;
            ulong phase = _phase % (ulong)_stride;
            _kept.RemoveAll(k => (ulong)k.Position % (ulong)_stride != phase);
        }
    }

    /// <summary>N of the kept documents, evenly spaced.</summary>
    private List<byte[]> Chosen()
    {
        if (_kept.Count <= _count)
        {
            return [.. _kept.Select(k => k.Bytes)];
        }
        var chosen = new List<byte[]>(_count);
        for (int j = 0; j < _count; j++)
        {
            chosen.Add(_kept[(int)((long)j * _kept.Count / _count)].Bytes);
        }
        return chosen;
    }

    internal void Compare(NpgsqlConnection conn, CancellationToken cancel)
    {
        using (var set = new NpgsqlCommand("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET extra_float_digits = 1; SET bytea_output = 'hex'", conn))
        {
            set.ExecuteNonQuery();
        }
        var notChecked = new List<string>();
        var queries = new Dictionary<TableMapping, string>();
        foreach (TableMapping table in _mapping.Tables)
        {
            if (table.PrimaryKey.Count == 0)
            {
                notChecked.Add($"--sample does not check table \"{table.Name}\": it has no primary key to find a document's rows by");
                continue;
            }
            foreach (ColumnMapping c in table.Columns.Where(c => c.Type == PgType.Json))
            {
                notChecked.Add($"--sample does not check column \"{table.Name}\".\"{c.Name}\": json keeps the text as written, spacing included, so only jsonb values compare");
            }
            queries[table] = RowQuery(table);
        }

        var differences = new List<SampleDifference>();
        var skipped = new List<string>();
        long differenceCount = 0;
        long rows = 0;
        List<byte[]> chosen = Chosen();
        foreach (byte[] bytes in chosen)
        {
            cancel.ThrowIfCancellationRequested();
            BsonDocument document = Decode(bytes);
            string id = document.TryGetValue("_id", out BsonValue idValue) ? idValue.ToString()! : "(none)";
            DocumentRows expected = SampleRows.Of(_mapping, document);
            if (expected.Rejected)
            {
                skipped.Add($"document _id {id}: the mapping's policies reject it; not compared");
                continue;
            }
            if (expected.LoadShouldStop is { } why)
            {
                differenceCount++;
                Add(differences, new SampleDifference("", "", id, $"the load to stop: {why}", "the document was loaded"));
                continue;
            }
            foreach (ExpectedRow row in expected.Rows)
            {
                if (!queries.TryGetValue(row.Table, out string? sql))
                {
                    continue;
                }
                rows++;
                foreach (SampleDifference d in CompareRow(conn, sql, row, id))
                {
                    differenceCount++;
                    Add(differences, d);
                }
            }
        }
        Report = new SampleReport(chosen.Count, rows, differences, differenceCount, notChecked, skipped);
    }

    private static void Add(List<SampleDifference> differences, SampleDifference d)
    {
        if (differences.Count < ShownDifferences)
        {
            differences.Add(d);
        }
    }

    /// <summary>
    /// <c>SELECT $1::t1::text, ..., x."c1"::text, ... FROM (SELECT) e LEFT JOIN "s"."t" x ON x."k" = $k::tk</c>:
    /// the expected literals printed by PostgreSQL, then the stored row found by its key (all NULL when none).
    /// </summary>
    private string RowQuery(TableMapping table)
    {
        var expected = table.Columns.Select((c, i) => $"${i + 1}::{PgTypeNames.SqlType(c)}::text");
        var actual = table.Columns.Select(c => $"x.{Sql.Quote(c.Name)}::text");
        var key = table.PrimaryKey.Select(k =>
        {
            int i = table.Columns.ToList().FindIndex(c => c.Name == k);
            return $"x.{Sql.Quote(k)} = ${i + 1}::{PgTypeNames.SqlType(table.Columns[i])}";
        });
        return $"SELECT {string.Join(", ", expected)}, {string.Join(", ", actual)}, x.ctid IS NOT NULL " +
            $"FROM (SELECT) e LEFT JOIN {Sql.Qualify(_schema, table.Name)} x ON {string.Join(" AND ", key)}";
    }

    private static List<SampleDifference> CompareRow(NpgsqlConnection conn, string sql, ExpectedRow row, string id)
    {
        IReadOnlyList<ColumnMapping> columns = row.Table.Columns;
        var found = new List<SampleDifference>();
        using var cmd = new NpgsqlCommand(sql, conn);
        foreach (string? v in row.Values)
        {
            cmd.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)v ?? DBNull.Value });
        }
        try
        {
            using NpgsqlDataReader r = cmd.ExecuteReader();
            r.Read();
            if (!r.GetBoolean(2 * columns.Count))
            {
                string key = string.Join(", ", row.Table.PrimaryKey.Select(k => $"{k} = {r.GetValue(columns.ToList().FindIndex(c => c.Name == k))}"));
                found.Add(new SampleDifference(row.Table.Name, "", id, $"a row with {key}", "no such row"));
                return found;
            }
            for (int i = 0; i < columns.Count; i++)
            {
                if (columns[i].Type == PgType.Json)
                {
                    continue;
                }
                string? expected = r.IsDBNull(i) ? null : r.GetString(i);
                string? actual = r.IsDBNull(columns.Count + i) ? null : r.GetString(columns.Count + i);
                if (!string.Equals(expected, actual, StringComparison.Ordinal))
                {
                    found.Add(new SampleDifference(row.Table.Name, columns[i].Name, id, expected, actual));
                }
            }
        }
        catch (PostgresException e) when (e.SqlState.StartsWith("22", StringComparison.Ordinal))
        {
            // An expected value PostgreSQL cannot read as the column's type: the interpreter and the load disagree.
            found.Add(new SampleDifference(row.Table.Name, "", id, $"values PostgreSQL accepts ({e.MessageText})", string.Join(", ", row.Values)));
        }
        return found;
    }

    /// <summary>MongoDB.Bson's own reader, in the BsonDocument style (no class maps, so nothing the trimmer removes).</summary>
    private static BsonDocument Decode(byte[] bytes)
    {
        using var stream = new MemoryStream(bytes, writable: false);
        using var reader = new BsonBinaryReader(stream);
        return BsonDocumentSerializer.Instance.Deserialize(BsonDeserializationContext.CreateRoot(reader));
    }

    private static ulong SplitMix(ulong x)
    {
        x += 0x9E3779B97F4A7C15;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB;
        return x ^ (x >> 31);
    }
}
