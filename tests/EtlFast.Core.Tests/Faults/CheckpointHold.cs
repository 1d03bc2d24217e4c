using System.Diagnostics;
using EtlFast.Core.Load;
using EtlFast.Core.Tests.TestSupport;
using Npgsql;

namespace EtlFast.Core.Tests.Faults;

/// <summary>
/// Holds a load still at an exact moment instead of racing it: the test's own transaction inserts the
/// checkpoint rows of chunks <c>first</c> and later into etlfast.chunks and leaves them uncommitted, so
/// the loader's insert of the same (run_id, chunk), the last statement of a chunk's transaction, waits
/// on the primary key until the test releases. Chunks before <c>first</c> commit freely; every later
/// one stops encoded and COPYed whole, but uncommitted. While held the target has exactly <c>first</c>
/// chunks committed, whatever the speed of the machine. Released, nothing of the test's rows remains.
/// </summary>
/// <remarks>
/// The rows are inserted with session_replication_role = replica (no foreign key check): the run's
/// etlfast.runs row need not exist yet, so the hold is taken before the loader starts, and it locks no
/// etlfast.runs row or table that any loader's setup would wait for.
/// </remarks>
internal sealed class CheckpointHold : IDisposable
{
    /// <summary>Further than any fault test's chunk count.</summary>
    private const long Span = 10_000;

    private readonly NpgsqlConnection _conn;
    private readonly NpgsqlTransaction _tx;
    private bool _released;

    private CheckpointHold(NpgsqlConnection conn, NpgsqlTransaction tx, long first)
    {
        _conn = conn;
        _tx = tx;
        First = first;
    }

    /// <summary>The statement of a chunk's transaction that the hold stops.</summary>
    public static string HeldStatement => $"INSERT INTO {Checkpoints.Schema}.chunks ";

    /// <summary>The first chunk index that cannot commit while the hold lasts.</summary>
    public long First { get; }

    /// <summary>The checkpoint run id etlfast gives a load of <paramref name="bsonPath"/> with <paramref name="mappingPath"/> into <paramref name="schema"/> (--chunk-size 1, as the tests' loads use).</summary>
    public static string RunIdOf(string bsonPath, string mappingPath, string schema) =>
        Checkpoints.RunId(Checkpoints.SourceIdentity(bsonPath, null)!, File.ReadAllBytes(mappingPath), schema, 1 << 20);

    public static CheckpointHold From(string runId, long first)
    {
        NpgsqlConnection conn = TestPg.Open();
        Checkpoints.EnsureTables(conn); // the loader's own DDL, in case this test is the first to load
        NpgsqlTransaction tx = conn.BeginTransaction();
        TestPg.Execute(conn, "SET LOCAL session_replication_role = replica");
        using var cmd = new NpgsqlCommand(
            $"INSERT INTO {Checkpoints.Schema}.chunks (run_id, chunk, source_offset, documents, rejected, rows) SELECT $1, k, 0, 0, 0, 0 FROM generate_series($2::bigint, $3::bigint) k",
            conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = runId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = first });
        cmd.Parameters.Add(new NpgsqlParameter { Value = first + Span });
        cmd.ExecuteNonQuery();
        return new CheckpointHold(conn, tx, first);
    }

    /// <summary>
    /// Waits until <paramref name="held"/> of the loader's backends wait on the hold (each with a whole
    /// chunk copied) and the chunks before <see cref="First"/> have committed: from then on nothing of the
    /// load moves until <see cref="Release"/>.
    /// </summary>
    public void WaitUntilHeld(EtlfastProcess p, string schema, string app, int held, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        // Both: with fewer chunks left than workers, a worker not held may still be committing a chunk before First.
        while (Backends.Held(app).Count < held || CheckpointState.Of(schema).Chunks < First)
        {
            Assert.True(!p.HasExited, $"the load ended though chunk {First} could not commit\n{p}");
            Assert.True(clock.Elapsed < timeout, $"no {held} chunk(s) held at their checkpoint, after {First} committed, within {timeout.TotalSeconds:N0} s\n{p}");
            Thread.Sleep(10);
        }
        CheckpointState state = CheckpointState.Of(schema);
        Assert.True(state.Chunks == First, $"held from chunk {First}, the load committed {state.Chunks} chunk(s)\n{p}");
    }

    /// <summary>Ends the test's transaction: the held chunks' checkpoint inserts go ahead.</summary>
    public void Release()
    {
        if (_released)
        {
            return;
        }
        _released = true;
        try
        {
            _tx.Rollback();
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            // the server was restarted under the hold: its transaction is gone already
        }
    }

    public void Dispose()
    {
        Release();
        _tx.Dispose();
        _conn.Dispose();
    }
}
