using System.Diagnostics;
using EtlFast.Core.Tests.TestSupport;
using Npgsql;

namespace EtlFast.Core.Tests.Faults;

/// <summary>The server side of one loader's connections, found by their application_name.</summary>
internal static class Backends
{
    /// <summary>
    /// Backends of <paramref name="appName"/> waiting on a lock (a test's hold) in a statement that starts
    /// with <paramref name="statement"/>: their pids.
    /// </summary>
    public static List<int> Waiting(string appName, string statement)
    {
        using NpgsqlConnection conn = TestPg.Open();
        using var cmd = new NpgsqlCommand(
            "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock' AND starts_with(query, $2) ORDER BY pid", conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = appName });
        cmd.Parameters.Add(new NpgsqlParameter { Value = statement });
        using NpgsqlDataReader r = cmd.ExecuteReader();
        var pids = new List<int>();
        while (r.Read())
        {
            pids.Add(r.GetInt32(0));
        }
        return pids;
    }

    /// <summary>Waits until <paramref name="count"/> backends of <paramref name="appName"/> wait on a lock in a statement starting with <paramref name="statement"/>.</summary>
    public static void WaitUntilWaiting(EtlfastProcess p, string appName, string statement, int count, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (Waiting(appName, statement).Count < count)
        {
            Assert.True(!p.HasExited, $"the load ended before {count} of its statements waited on the test's lock: {statement}\n{p}");
            Assert.True(clock.Elapsed < timeout, $"{count} statement(s) \"{statement}...\" never waited on the test's lock in {timeout.TotalSeconds:N0} s\n{p}");
            Thread.Sleep(10);
        }
    }

    /// <summary>Backends of <paramref name="appName"/> held at a chunk's checkpoint insert by a <see cref="CheckpointHold"/>.</summary>
    public static List<int> Held(string appName) => Waiting(appName, CheckpointHold.HeldStatement);

    /// <summary>Terminates these backends, as an administrator or a failover would. Returns how many were signalled.</summary>
    public static int Terminate(IEnumerable<int> pids)
    {
        using NpgsqlConnection conn = TestPg.Open();
        return (int)(long)TestPg.Scalar(conn, "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM unnest($1::int[]) pid", pids.ToArray())!;
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
