using System.Diagnostics;
using EtlFast.Core.Tests.TestSupport;
using Npgsql;

namespace EtlFast.Core.Tests.Faults;

/// <summary>
/// Faults of the network between etlfast and PostgreSQL, made by a loopback <see cref="TcpProxy"/> of
/// the test's own: a long link (latency), a slow one (bandwidth), a reset in the middle of a COPY, a
/// half-open connection and a server that stops reading. Each load ends either with the tables of a
/// clean load, or with exit 3 within a bounded time, naming the host and --io-timeout, in a state that
/// --resume finishes to the same tables. Faults fire after a count of bytes, never after a delay.
/// </summary>
public sealed class PgLinkFaultTests : IDisposable
{
    /// <summary>800 users: five 1 MiB chunks, a few seconds per load.</summary>
    private const int Users = 800;

    /// <summary>Client-to-server bytes after which a fault fires: within the first worker connection's first COPY.</summary>
    private const long MidCopy = 400_000;

    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(90);
    private readonly FaultScope _scope = new();
    private readonly TcpProxy _proxy = new(new NpgsqlConnectionStringBuilder(TestPg.ConnectionString).Port);

    public void Dispose()
    {
        _proxy.Dispose();
        _scope.Dispose();
    }

    /// <summary>--to through the proxy; <paramref name="connectTimeout"/>: Npgsql's Timeout (connect and log in), else its default.</summary>
    private string ViaProxy(string app, int? connectTimeout = null)
    {
        var b = new NpgsqlConnectionStringBuilder(TestPg.ConnectionString) { Port = _proxy.Port, ApplicationName = app };
        if (connectTimeout is int t)
        {
            b.Timeout = t;
        }
        return b.ConnectionString;
    }

    private static string[] Args(FaultSeed data, string schema, string to, params string[] extra) =>
        ["load", "--from", data.BsonPath, "-m", FaultSeed.Mapping, "--to", to, "--schema", schema, .. FaultSeed.LoadFlags, .. extra];

    /// <summary>Runs the real CLI to its end (killed and failed past <see cref="Bounded"/>: a hang fails the test, it does not hang it).</summary>
    private static (int Exit, EtlfastProcess Process, TimeSpan Took) Run(string[] args)
    {
        var clock = Stopwatch.StartNew();
        EtlfastProcess p = EtlfastProcess.Start(args);
        int exit = p.WaitForExit(Bounded);
        return (exit, p, clock.Elapsed);
    }

    private static void AssertSameAsCleanLoad(FaultSeed data, string schema)
    {
        using NpgsqlConnection conn = TestPg.Open();
        SchemaCompare.Equal(conn, data.ReferenceSchema, schema);
        CheckpointState state = CheckpointState.Of(conn, schema);
        Assert.True(state.Finished && state.Chunks == data.Chunks && state.Documents == data.Count, $"checkpoints: {state}");
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1.5")]
    [InlineData("ten")]
    public void Io_timeout_takes_whole_seconds_and_is_in_the_help(string value)
    {
        Etlfast.Run(["load", "--from", "x.bson", "-m", "x.json", "--io-timeout", value]).Fails(2, $"--io-timeout takes a whole number from 1 to 86400, not \"{value}\"");
        Assert.Contains("--io-timeout SECONDS", Etlfast.Run(["load", "--help"]).Ok().Out);
    }

    [Fact]
    public void A_link_with_50_ms_round_trips_loads_the_same_tables()
    {
        FaultSeed data = FaultSeed.Get(Users);
        string schema = _scope.NewSchema("pg_latency");
        _proxy.Latency = TimeSpan.FromMilliseconds(50);

        (int exit, EtlfastProcess p, TimeSpan took) = Run(Args(data, schema, ViaProxy(FaultScope.NewAppName("lat"))));
        using (p)
        {
            Assert.True(exit == 0, $"a slow link is no fault\n{p}");
        }
        // Preparing alone is some 40 statements, each a round trip: the latency was really there.
        Assert.True(took >= TimeSpan.FromSeconds(2), $"the load took {took.TotalSeconds:N1} s: the proxy added no latency");
        AssertSameAsCleanLoad(data, schema);
    }

    [Fact]
    public void A_link_capped_at_1_MB_per_second_loads_the_same_tables()
    {
        FaultSeed data = FaultSeed.Get(Users);
        string schema = _scope.NewSchema("pg_bandwidth");
        _proxy.BytesPerSecond = 1_000_000;

        (int exit, EtlfastProcess p, TimeSpan took) = Run(Args(data, schema, ViaProxy(FaultScope.NewAppName("bw"))));
        using (p)
        {
            Assert.True(exit == 0, $"a slow link is no fault\n{p}");
        }
        // At most three connections (two workers and the control one) carried the COPY data at once.
        double floor = _proxy.Forwarded(Flow.ClientToServer) / 3.0 / _proxy.BytesPerSecond;
        Assert.True(took.TotalSeconds >= floor, $"{_proxy.Forwarded(Flow.ClientToServer):N0} bytes in {took.TotalSeconds:N1} s: the cap was not applied");
        AssertSameAsCleanLoad(data, schema);
    }

    [Fact]
    public void A_connection_reset_in_the_middle_of_a_COPY_is_retried_to_the_same_tables()
    {
        FaultSeed data = FaultSeed.Get(Users);
        string schema = _scope.NewSchema("pg_reset");
        _proxy.Arm(ProxyFault.Reset, Flow.ClientToServer, MidCopy);

        (int exit, EtlfastProcess p, _) = Run(Args(data, schema, ViaProxy(FaultScope.NewAppName("reset"))));
        using (p)
        {
            Assert.True(_proxy.Fired == 1, $"the reset never fired: the test proved nothing\n{p}");
            Assert.True(exit == 0, $"the reset chunk should have been retried\n{p}");
            Assert.Contains("retrying", p.Err);
        }
        AssertSameAsCleanLoad(data, schema);
    }

    [Theory]
    [InlineData(ProxyFault.Stall)]
    [InlineData(ProxyFault.StopReadingClient)]
    public void A_connection_stuck_in_the_middle_of_a_COPY_times_out_and_is_retried_to_the_same_tables(ProxyFault fault)
    {
        FaultSeed data = FaultSeed.Get(Users);
        string schema = _scope.NewSchema("pg_stuck");
        _proxy.Arm(fault, Flow.ClientToServer, MidCopy);

        (int exit, EtlfastProcess p, _) = Run(Args(data, schema, ViaProxy(FaultScope.NewAppName("stuck")), "--io-timeout", "1"));
        using (p)
        {
            Assert.True(_proxy.Fired == 1, $"the fault never fired: the test proved nothing\n{p}");
            Assert.True(exit == 0, $"the stuck chunk should have been retried on a new connection\n{p}");
            Assert.Contains("no answer for 1 s (--io-timeout); retrying", p.Err);
        }
        AssertSameAsCleanLoad(data, schema);
    }

    [Fact]
    public void A_host_that_stops_answering_mid_COPY_is_exit_3_naming_it_and_the_timeout_then_resume_finishes()
    {
        FaultSeed data = FaultSeed.Get(Users);
        string schema = _scope.NewSchema("pg_gone");
        _proxy.Arm(ProxyFault.Stall, Flow.ClientToServer, MidCopy, stallNewConnectionsAfter: true);

        (int exit, EtlfastProcess p, TimeSpan took) = Run(Args(data, schema, ViaProxy(FaultScope.NewAppName("gone"), connectTimeout: 2), "--io-timeout", "1"));
        using (p)
        {
            Assert.True(_proxy.Fired == 1, $"the fault never fired: the test proved nothing\n{p}");
            Assert.True(exit == 3, $"expected exit 3 (connection)\n{p}");
            Assert.Contains($"PostgreSQL at postgres@127.0.0.1:{_proxy.Port}/postgres did not answer for 1 s (--io-timeout)", p.Err);
            Assert.Contains("--resume", p.Err);
        }
        // One I/O timeout, a 0.5 s backoff, a 2 s connect timeout, and stopping the other worker's chunk: well under this.
        Assert.True(took < TimeSpan.FromSeconds(60), $"stopping took {took.TotalSeconds:N1} s");

        using (NpgsqlConnection conn = TestPg.Open())
        {
            CheckpointState state = CheckpointState.Of(conn, schema);
            Assert.False(state.Finished, $"checkpoints: {state}");
            SchemaCompare.HoldsOnlyCommittedChunks(conn, schema, state, "users");
        }
        _proxy.Dispose(); // the stuck backends see their client gone and end, releasing their locks

        (int again, EtlfastProcess q, _) = Run(Args(data, schema, FaultScope.Target(FaultScope.NewAppName("gone2")), "--resume"));
        using (q)
        {
            Assert.True(again == 0, $"--resume without the fault should finish the load\n{q}");
        }
        AssertSameAsCleanLoad(data, schema);
    }
}
