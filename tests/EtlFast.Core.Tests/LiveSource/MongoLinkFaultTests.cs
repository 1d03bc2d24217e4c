using System.Diagnostics;
using EtlFast.Core.Tests.Faults;
using EtlFast.Core.Tests.TestSupport;
using Npgsql;

namespace EtlFast.Core.Tests.LiveSource;

using WireServer = EtlFast.WireServer.WireServer;

/// <summary>
/// Faults of the network between etlfast and a live MongoDB (our wire server behind a loopback
/// <see cref="TcpProxy"/>): a long link, a reset and a half-open connection in the middle of a range's
/// getMores. The reader reopens the range after the last <c>_id</c> read, so each load ends with the
/// tables of a load of the same data from a file. Faults fire after a count of bytes, never after a delay.
/// </summary>
public sealed class MongoLinkFaultTests : IDisposable
{
    private const int Users = 800;

    /// <summary>Server-to-client bytes after which a fault fires: past the planner's small replies, some batches into a range.</summary>
    private const long MidRange = 1_000_000;

    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(90);
    private readonly FaultScope _scope = new();

    public void Dispose() => _scope.Dispose();

    private static string[] Args(TcpProxy proxy, string schema, params string[] extra) =>
        ["load", "--from", $"mongodb://127.0.0.1:{proxy.Port}/?directConnection=true&serverSelectionTimeoutMS=5000", "-m", FaultSeed.Mapping,
         "--to", FaultScope.Target(FaultScope.NewAppName("mlink")), "--schema", schema, "--chunk-size", "1", "-j", "2", "--batch-size", "50", .. extra];

    private static (int Exit, EtlfastProcess Process, TimeSpan Took) Run(string[] args)
    {
        var clock = Stopwatch.StartNew();
        EtlfastProcess p = EtlfastProcess.Start(args);
        int exit = p.WaitForExit(Bounded);
        return (exit, p, clock.Elapsed);
    }

    private static void AssertSameAsFileLoad(FaultSeed data, string schema)
    {
        using NpgsqlConnection conn = TestPg.Open();
        LiveKit.SameTables(conn, data.ReferenceSchema, schema);
    }

    [Fact]
    public async Task A_link_with_50_ms_round_trips_loads_the_same_tables()
    {
        FaultSeed data = FaultSeed.Get(Users);
        await using WireServer server = LiveKit.SeedServer(data.BsonPath);
        using var proxy = new TcpProxy(server.Port) { Latency = TimeSpan.FromMilliseconds(50) };
        string schema = _scope.NewSchema("mg_latency");

        (int exit, EtlfastProcess p, TimeSpan took) = Run(Args(proxy, schema));
        using (p)
        {
            Assert.True(exit == 0, $"a slow link is no fault\n{p}");
            Assert.Contains($"loaded {Users:N0} documents", p.Err);
        }
        // Connecting, planning and 16 batches of 50 documents are at least 20 round trips in a row.
        Assert.True(took >= TimeSpan.FromSeconds(1), $"the load took {took.TotalSeconds:N1} s: the proxy added no latency");
        AssertSameAsFileLoad(data, schema);
    }

    [Theory]
    [InlineData(ProxyFault.Reset)]
    [InlineData(ProxyFault.Stall)]
    public async Task A_connection_broken_in_the_middle_of_a_getMore_is_reopened_to_the_same_tables(ProxyFault fault)
    {
        FaultSeed data = FaultSeed.Get(Users);
        await using WireServer server = LiveKit.SeedServer(data.BsonPath);
        using var proxy = new TcpProxy(server.Port);
        proxy.Arm(fault, Flow.ServerToClient, MidRange);
        string schema = _scope.NewSchema("mg_" + fault.ToString().ToLowerInvariant());

        (int exit, EtlfastProcess p, _) = Run(Args(proxy, schema, "--io-timeout", "1"));
        using (p)
        {
            Assert.True(proxy.Fired == 1, $"the fault never fired: the test proved nothing\n{p}");
            Assert.True(exit == 0, $"the range should have been reopened after the last _id read\n{p}");
            Assert.True(p.Err.Contains("reopening after the last _id read", StringComparison.Ordinal), $"the fault did not hit a range's read\n{p}");
            Assert.Contains($"loaded {Users:N0} documents", p.Err);
        }
        AssertSameAsFileLoad(data, schema);
    }
}
