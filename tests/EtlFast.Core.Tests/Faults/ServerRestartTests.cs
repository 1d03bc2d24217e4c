using System.Diagnostics;
using EtlFast.Core.Tests.TestSupport;
using Npgsql;

namespace EtlFast.Core.Tests.Faults;

/// <summary>Tests that restart the whole test server: they run alone, after every parallel test.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ServerRestartCollection
{
    public const string Name = "Faults: PostgreSQL restarts";
}

/// <summary>
/// Runs only with the throwaway server of scripts/pg-shell.sh, whose data directory and binaries it
/// exports (PG_SCRATCH, PG_BINDIR): restarting any other server is not a test's business.
/// </summary>
public sealed class RestartableServerFactAttribute : FactAttribute
{
    public RestartableServerFactAttribute()
    {
        if (ServerRestartTests.DataDir is null || ServerRestartTests.PgCtl is null)
        {
            Skip = "needs the throwaway server of scripts/pg-shell.sh (PG_SCRATCH with a data directory and PG_BINDIR with pg_ctl) to restart it";
        }
    }
}

/// <summary>
/// The PostgreSQL server restarted (fast shutdown: every session is cut, then the server is down for a
/// moment) while a load runs: the chunks in flight are retried on new connections once it is back,
/// so the load ends with exit 0 and exact tables.
/// </summary>
[Collection(ServerRestartCollection.Name)]
public sealed class ServerRestartTests : IDisposable
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(180);
    private readonly FaultScope _scope = new();

    public static string? DataDir => Environment.GetEnvironmentVariable("PG_SCRATCH") is { Length: > 0 } s && Directory.Exists(Path.Combine(s, "data"))
        ? Path.Combine(s, "data")
        : null;

    public static string? PgCtl => Environment.GetEnvironmentVariable("PG_BINDIR") is { Length: > 0 } b && File.Exists(Path.Combine(b, "pg_ctl"))
        ? Path.Combine(b, "pg_ctl")
        : null;

    public void Dispose()
    {
        NpgsqlConnection.ClearAllPools();
        _scope.Dispose();
    }

    [RestartableServerFact]
    public void A_server_restart_mid_load_is_retried_to_exit_0_and_exact_tables()
    {
        FaultSeed data = FaultSeed.Get();
        string reference = data.ReferenceSchema;
        string schema = _scope.NewSchema("restart");
        string app = FaultScope.NewAppName("restart");
        using (CheckpointHold hold = CheckpointHold.From(data.RunId(schema), 2))
        using (EtlfastProcess p = EtlfastProcess.Start(data.ProcessArgs(schema, app)))
        {
            // Two chunks committed, the next two held at their checkpoints: the restart cuts them (and the hold).
            hold.WaitUntilHeld(p, schema, app, 2, Bounded);
            Restart();
            hold.Release();
            int exit = p.WaitForExit(Bounded);
            Assert.True(exit == 0, $"the load should have outlived the restart\n{p}");
            Assert.Contains("retrying", p.Err);
        }
        using NpgsqlConnection conn = TestPg.Open();
        SchemaCompare.Equal(conn, reference, schema);
        CheckpointState state = CheckpointState.Of(conn, schema);
        Assert.True(state.Finished && state.Chunks == data.Chunks && state.Documents == data.Count, $"checkpoints: {state}");
    }

    /// <summary>pg_ctl restart as the server's owner (the scratch cluster belongs to postgres; the tests may run as root).</summary>
    private static void Restart()
    {
        string command = $"'{PgCtl}' -D '{DataDir}' -l '{Path.Combine(Path.GetDirectoryName(DataDir!)!, "server.log")}' -m fast -w -t 60 restart";
        var psi = Environment.UserName == "root"
            ? new ProcessStartInfo("su", ["postgres", "-s", "/bin/sh", "-c", command])
            : new ProcessStartInfo("/bin/sh", ["-c", command]);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        using Process restart = Process.Start(psi)!;
        Task<string> stdout = restart.StandardOutput.ReadToEndAsync();
        Task<string> stderr = restart.StandardError.ReadToEndAsync();
        if (!restart.WaitForExit(90_000))
        {
            restart.Kill(entireProcessTree: true);
            Assert.Fail("pg_ctl restart did not finish in 90 s");
        }
        string output = stdout.Result + stderr.Result;
        Assert.True(restart.ExitCode == 0, $"pg_ctl restart failed ({restart.ExitCode}): {output}");
        // The test's own pooled connections died with the old server.
        NpgsqlConnection.ClearAllPools();
    }
}
