using System.Diagnostics;
using EtlFast.Core.Tests.TestSupport;
using Npgsql;

namespace EtlFast.Core.Tests.Faults;

/// <summary>
/// A lock on one of the load's tables in the test's own transaction, so that the loader's statements
/// on that table wait where the test can act: SHARE ROW EXCLUSIVE holds back a chunk's COPY (ROW
/// EXCLUSIVE) and every key build; ROW EXCLUSIVE lets COPYs in but holds back foreign keys (SHARE ROW
/// EXCLUSIVE) and indexes; ACCESS SHARE holds back only ALTER TABLE ... ADD PRIMARY KEY (ACCESS
/// EXCLUSIVE). The lock may be requested while the loader holds a conflicting one: it is then queued,
/// and a statement the loader starts after that queues behind it.
/// </summary>
internal sealed class TableHold : IDisposable
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(180);
    private readonly NpgsqlConnection _conn;
    private readonly NpgsqlTransaction _tx;
    private readonly NpgsqlCommand _cmd;
    private readonly Task _lock;
    private bool _released;

    private TableHold(NpgsqlConnection conn, NpgsqlTransaction tx, NpgsqlCommand cmd, Task locking)
    {
        _conn = conn;
        _tx = tx;
        _cmd = cmd;
        _lock = locking;
    }

    /// <summary>Requests the lock and returns once it is granted or queued (waiting in the server); see <see cref="WaitGranted"/>.</summary>
    public static TableHold Request(string schema, string table, string mode)
    {
        NpgsqlConnection conn = TestPg.Open();
        NpgsqlTransaction tx = conn.BeginTransaction();
        int pid = conn.ProcessID;
        var cmd = new NpgsqlCommand($"LOCK TABLE {TestPg.Qualify(schema, table)} IN {mode} MODE", conn);
        Task locking = cmd.ExecuteNonQueryAsync();
        var clock = Stopwatch.StartNew();
        // Polled from another connection: the lock's own connection is busy with it.
        using NpgsqlConnection watcher = TestPg.Open();
        while (!locking.IsCompleted && TestPg.Scalar(watcher, "SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1", pid) as string != "Lock")
        {
            Assert.True(clock.Elapsed < Bounded, $"LOCK TABLE {schema}.{table} was neither granted nor queued");
            Thread.Sleep(5);
        }
        return new TableHold(conn, tx, cmd, locking);
    }

    public void WaitGranted()
    {
        Assert.True(_lock.Wait(Bounded), "the test's table lock was never granted");
    }

    public void Release()
    {
        if (_released)
        {
            return;
        }
        _released = true;
        if (!_lock.IsCompleted)
        {
            _cmd.Cancel(); // still queued: the test failed before its moment came
        }
        try
        {
            _lock.Wait(Bounded);
        }
        catch (AggregateException e) when (e.InnerException is PostgresException { SqlState: "57014" })
        {
            // canceled while queued
        }
        _tx.Rollback();
    }

    public void Dispose()
    {
        try
        {
            Release();
        }
        finally
        {
            _cmd.Dispose();
            _tx.Dispose();
            _conn.Dispose();
        }
    }
}
