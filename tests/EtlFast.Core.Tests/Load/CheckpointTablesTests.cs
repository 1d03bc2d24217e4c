using EtlFast.Core.Load;
using EtlFast.Core.Tests.TestSupport;
using Npgsql;

namespace EtlFast.Core.Tests.Load;

/// <summary>
/// Loads started together on a database that has never seen etlfast (a scheduler fanning out partitions or
/// collections) all create the bookkeeping schema at once: every one of them must start.
/// </summary>
public sealed class CheckpointTablesTests
{
    [Fact]
    public void Loaders_creating_the_checkpoint_tables_at_the_same_moment_all_succeed()
    {
        string database = $"t_ckpt_{Guid.NewGuid():N}"[..24];
        using (NpgsqlConnection admin = TestPg.Open())
        {
            TestPg.Execute(admin, $"CREATE DATABASE {TestPg.Quote(database)}");
        }
        try
        {
            string fresh = new NpgsqlConnectionStringBuilder(TestPg.ConnectionString) { Database = database, Pooling = false }.ConnectionString;
            const int loaders = 6;
            using var start = new Barrier(loaders);
            var failures = new System.Collections.Concurrent.ConcurrentBag<Exception>();
            Thread[] threads = [.. Enumerable.Range(0, loaders).Select(_ => new Thread(() =>
            {
                try
                {
                    using var conn = new NpgsqlConnection(fresh);
                    conn.Open();
                    start.SignalAndWait();
                    Checkpoints.EnsureTables(conn);
                }
                catch (Exception e)
                {
                    failures.Add(e);
                }
            }))];
            foreach (Thread t in threads)
            {
                t.Start();
            }
            foreach (Thread t in threads)
            {
                t.Join();
            }
            Assert.True(failures.IsEmpty, string.Join("\n", failures.Select(e => e.Message)));
            using var check = new NpgsqlConnection(fresh);
            check.Open();
            Assert.Equal(true, TestPg.Scalar(check, "SELECT to_regclass('etlfast.runs') IS NOT NULL AND to_regclass('etlfast.ranges') IS NOT NULL"));
        }
        finally
        {
            using NpgsqlConnection admin = TestPg.Open();
            TestPg.Execute(admin, $"DROP DATABASE {TestPg.Quote(database)} WITH (FORCE)");
        }
    }
}
