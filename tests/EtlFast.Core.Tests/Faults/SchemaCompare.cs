using EtlFast.Core.Tests.TestSupport;
using Npgsql;

namespace EtlFast.Core.Tests.Faults;

/// <summary>
/// Compares what an interrupted-then-resumed (or faulted) load left with a complete uninterrupted load
/// of the same data: the same tables and columns, and in each table the same multiset of rows
/// (EXCEPT ALL both ways, plus counts), so a row doubled, missing or changed anywhere shows.
/// </summary>
internal static class SchemaCompare
{
    public static void Equal(NpgsqlConnection conn, string expectedSchema, string actualSchema, bool keys = true)
    {
        List<string> tables = [.. PgTable.Tables(conn, expectedSchema).Order(StringComparer.Ordinal)];
        Assert.True(tables.Count > 0, $"the reference schema {expectedSchema} has no tables");
        Assert.Equal(tables, PgTable.Tables(conn, actualSchema).Order(StringComparer.Ordinal));
        var problems = new List<string>();
        foreach (string t in tables)
        {
            string want = string.Join(", ", PgTable.Columns(conn, expectedSchema, t));
            string got = string.Join(", ", PgTable.Columns(conn, actualSchema, t));
            if (want != got)
            {
                problems.Add($"{t}: columns differ\n    expected {want}\n    actual   {got}");
                continue;
            }
            string e = TestPg.Qualify(expectedSchema, t), a = TestPg.Qualify(actualSchema, t);
            long expectedRows = PgTable.Count(conn, expectedSchema, t);
            long actualRows = PgTable.Count(conn, actualSchema, t);
            long missing = (long)TestPg.Scalar(conn, $"SELECT count(*) FROM (SELECT * FROM {e} EXCEPT ALL SELECT * FROM {a}) x")!;
            long extra = (long)TestPg.Scalar(conn, $"SELECT count(*) FROM (SELECT * FROM {a} EXCEPT ALL SELECT * FROM {e}) x")!;
            if (expectedRows == 0)
            {
                problems.Add($"{t}: the reference table is empty, so the comparison proves nothing");
            }
            if (missing != 0 || extra != 0 || expectedRows != actualRows)
            {
                problems.Add($"{t}: expected {expectedRows} rows, found {actualRows}: {missing} expected rows missing, {extra} rows extra (or doubled)");
            }
        }
        Assert.True(problems.Count == 0, $"schema {actualSchema} differs from the reference load in {expectedSchema}:\n  " + string.Join("\n  ", problems));
        if (keys)
        {
            Assert.Equal(PgConstraints.Keys(conn, expectedSchema), PgConstraints.Keys(conn, actualSchema));
        }
    }

    /// <summary>
    /// The all-or-nothing property of chunks after an interruption: the schema holds exactly the rows
    /// its committed checkpoints account for (a half-written chunk would add rows without a checkpoint).
    /// </summary>
    public static void HoldsOnlyCommittedChunks(NpgsqlConnection conn, string schema, CheckpointState state, string? rootTable = null)
    {
        long rows = 0;
        foreach (string t in PgTable.Tables(conn, schema))
        {
            rows += PgTable.Count(conn, schema, t);
        }
        Assert.True(rows == state.Rows, $"schema {schema} holds {rows} rows, but its {state.Chunks} committed chunks account for {state.Rows}");
        if (rootTable is not null)
        {
            long documents = PgTable.Count(conn, schema, rootTable);
            Assert.True(documents == state.Documents - state.Rejected,
                $"{schema}.{rootTable} holds {documents} rows, but the committed chunks hold {state.Documents - state.Rejected} loaded documents");
        }
    }
}
