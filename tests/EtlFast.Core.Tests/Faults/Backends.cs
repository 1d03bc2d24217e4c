using System.Diagnostics;
using EtlFast.Core.Tests.TestSupport;
using Npgsql;

namespace EtlFast.Core.Tests.Faults;

/// <summary>The server side of one loader's connections, found by their application_name.</summary>
internal static class Backends
{
    /// <summary>
    /// Terminates the backends of <paramref name="appName"/> that are inside a chunk's COPY (running
    /// it, or idle in its transaction after it), as an administrator or a failover would. Returns how many.
    /// </summary>
    public static int TerminateCopying(string appName)
    {
        using NpgsqlConnection conn = TestPg.Open();
        using var cmd = new NpgsqlCommand(
            """
            SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
            WHERE application_name = $1 AND state IN ('active', 'idle in transaction') AND query LIKE 'COPY %'
            """, conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = appName });
        return (int)(long)cmd.ExecuteScalar()!;
    }

    /// <summary>Backends of <paramref name="appName"/> inside a chunk's COPY (so the chunk was encoded whole, and is not committed).</summary>
    public static long CountCopying(string appName)
    {
        using NpgsqlConnection conn = TestPg.Open();
        return (long)TestPg.Scalar(conn,
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND state IN ('active', 'idle in transaction') AND query LIKE 'COPY %'", appName)!;
    }

    public static long Count(string appName)
    {
        using NpgsqlConnection conn = TestPg.Open();
        return (long)TestPg.Scalar(conn, "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", appName)!;
    }

    /// <summary>
    /// After a SIGKILL the server rolls back the dead client's transaction only once its backend
    /// notices: wait for that, so nothing of the killed run can still commit behind the resume.
    /// </summary>
    public static void WaitUntilGone(string appName, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        long left;
        while ((left = Count(appName)) > 0)
        {
            Assert.True(clock.Elapsed < timeout, $"{left} backend(s) of {appName} still alive {timeout.TotalSeconds:N0} s after their client died");
            Thread.Sleep(20);
        }
    }
}
