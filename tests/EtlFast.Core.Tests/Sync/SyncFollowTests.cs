using System.Diagnostics;
using EtlFast.Core.Tests.Faults;
using EtlFast.Core.Tests.Load;
using EtlFast.Core.Tests.LiveSource;
using EtlFast.Core.Tests.TestSupport;
using EtlFast.Core.Tests.WireServerTests;
using MongoDB.Bson;
using MongoDB.Driver;
using Npgsql;

namespace EtlFast.Core.Tests.Sync;

using WireFaultScope = EtlFast.WireServer.FaultScope;
using WireServer = EtlFast.WireServer.WireServer;

/// <summary>
/// <c>etlfast sync</c> end to end against the wire test server's change streams and the real PostgreSQL:
/// whatever the application writes, and whenever the sync is interrupted, the tables end equal to a fresh
/// load of the collection's final state (<see cref="SchemaCompare"/>: EXCEPT ALL both ways, counts, keys).
/// </summary>
public sealed class SyncFollowTests : IDisposable
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(180);
    private readonly Schemas _schemas = new();

    public void Dispose() => _schemas.Dispose();

    /// <summary>A server holding the first <paramref name="seeded"/> seed users, and the next <paramref name="fresh"/> for the application to insert.</summary>
    private static (WireServer Server, List<BsonDocument> Fresh) Serve(int seeded, int fresh)
    {
        List<BsonDocument> all = SeedData.Get(seeded + fresh).Documents;
        var server = new WireServer();
        server.AddDocuments("sample_db", "users", all.Take(seeded));
        return (server, [.. all.Skip(seeded).Select(d => d.DeepClone().AsBsonDocument)]);
    }

    private static string[] SyncArgs(WireServer server, string schema, params string[] extra) =>
        ["sync", "--from", LiveKit.Uri(server), "-m", SeedData.Mapping, "--to", TestPg.ConnectionString, "--schema", schema, .. extra];

    private static IMongoCollection<BsonDocument> Users(MongoClient client) => client.GetDatabase("sample_db").GetCollection<BsonDocument>("users");

    /// <summary>A fresh load of what the server holds now: what every synced schema must equal.</summary>
    private string Reference(WireServer server)
    {
        string reference = _schemas.New("sync_ref");
        Etlfast.Load(LiveKit.Uri(server), SeedData.Mapping, reference, "-q").Ok();
        return reference;
    }

    [Fact]
    public async Task A_later_run_applies_every_change_the_application_made_and_the_tables_equal_a_fresh_load()
    {
        (WireServer server, List<BsonDocument> fresh) = Serve(300, 100);
        await using var owned = server;
        string schema = _schemas.New("sync_follow");
        CliResult first = Etlfast.Run(SyncArgs(server, schema, "--until-caught-up", "0.5")).Ok();
        Assert.Contains("sync caught up", first.Err, StringComparison.Ordinal);
        using NpgsqlConnection conn = TestPg.Open();
        Assert.Equal(300L, PgTable.Count(conn, schema, "users"));

        using var client = WireKit.Client(server);
        var writer = new SeedWriter(Users(client), server.GetDocuments("sample_db", "users"), fresh, seed: 7);
        writer.Run(250);
        CliResult second = Etlfast.Run(SyncArgs(server, schema, "--until-caught-up", "0.5")).Ok();
        Assert.Contains("nothing to do", second.Err, StringComparison.Ordinal); // the snapshot is not read again
        Assert.Contains($"sync: {writer.Steps:N0} changes", second.Err, StringComparison.Ordinal);

        SchemaCompare.Equal(conn, Reference(server), schema);
    }

    [Fact]
    public async Task Killed_during_the_snapshot_and_during_apply_while_the_application_writes_the_sync_ends_equal_to_a_fresh_load()
    {
        (WireServer server, List<BsonDocument> fresh) = Serve(3000, 1500);
        await using var owned = server;
        string schema = _schemas.New("sync_kill");
        using var client = WireKit.Client(server);
        var writer = new SeedWriter(Users(client), server.GetDocuments("sample_db", "users"), fresh, seed: 11);
        using var stop = new CancellationTokenSource();
        // The application writes throughout: during the snapshot, between the runs and while changes are applied.
        Task writing = Task.Factory.StartNew(() =>
        {
            while (!stop.IsCancellationRequested && writer.Steps < 4000)
            {
                writer.Step();
                Thread.Sleep(1);
            }
        }, TaskCreationOptions.LongRunning);
        string[] args = SyncArgs(server, schema, "--chunk-size", "1", "-j", "2", "--max-await", "0.2");
        using NpgsqlConnection conn = TestPg.Open();

        // 1. SIGKILL once the snapshot has committed a chunk (rows appear only with their chunk's commit).
        using (EtlfastProcess p = EtlfastProcess.Start(args))
        {
            WaitFor(p, () => UsersRows(conn, schema) > 0, "a committed snapshot chunk");
            p.Signal(PosixSignals.SIGKILL);
            p.WaitForExit(TimeSpan.FromSeconds(30));
        }
        Assert.True(UsersRows(conn, schema) < 3000, "the snapshot finished before the kill: the test killed nothing that mattered");

        // 2. SIGKILL while changes are applied: once the tables hold a user the application inserted after following began.
        using (EtlfastProcess p = EtlfastProcess.Start(args))
        {
            WaitFor(p, () => p.Err.Contains("following the change stream", StringComparison.Ordinal), "the follow phase");
            // A user inserted from now on has a larger _id than any before: once one is in the tables, changes are being applied.
            int mark = writer.LastInserted;
            WaitFor(p, () => writer.LastInserted > mark && MaxUserId(conn, schema) > mark, "an applied insert");
            p.Signal(PosixSignals.SIGKILL);
            p.WaitForExit(TimeSpan.FromSeconds(30));
        }

        // 3. SIGTERM ends a following sync cleanly after its batch.
        using (EtlfastProcess p = EtlfastProcess.Start(args))
        {
            WaitFor(p, () => p.Err.Contains("following the change stream", StringComparison.Ordinal), "the follow phase");
            p.Signal(PosixSignals.SIGTERM);
            Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)) == 0, $"SIGTERM while following must end the sync with exit 0\n{p}");
            Assert.Contains("sync stopped on request", p.Err, StringComparison.Ordinal);
        }

        await stop.CancelAsync();
        await writing;
        Assert.True(writer.Steps > 100, $"the application made only {writer.Steps} changes");
        Etlfast.Run([.. args, "--until-caught-up", "0.5"]).Ok();
        SchemaCompare.Equal(conn, Reference(server), schema);
    }

    [Fact]
    public async Task A_dropped_connection_and_a_resumable_error_mid_stream_are_resumed_with_nothing_lost_or_doubled()
    {
        (WireServer server, List<BsonDocument> fresh) = Serve(200, 100);
        await using var owned = server;
        string schema = _schemas.New("sync_faults");
        Etlfast.Run(SyncArgs(server, schema, "--until-caught-up", "0.5")).Ok();
        using var client = WireKit.Client(server);
        new SeedWriter(Users(client), server.GetDocuments("sample_db", "users"), fresh, seed: 3).Run(150);

        // Every change stream cursor loses its connection after 3 batches: mid stream, with changes applied before each drop.
        server.Faults.DropConnectionAfterBatches(3, WireFaultScope.Cursor);
        server.Faults.FailGetMore(6, 262, "ExceededTimeLimit", labels: ["ResumableChangeStreamError"]);
        server.ClearReceivedCommands();
        CliResult run = Etlfast.Run(SyncArgs(server, schema, "--until-caught-up", "0.5", "--batch-size", "20")).Ok();

        server.Faults.Clear();

        Assert.True(server.Faults.ConnectionsDropped >= 2, $"{server.Faults.ConnectionsDropped} connections dropped");
        Assert.Equal(1, server.Faults.GetMoresFailed);
        // Neither the aggregate the driver resumed with nor its empty first batch ended the run early.
        Assert.Contains("sync caught up", run.Err, StringComparison.Ordinal);
        int opened = server.ReceivedCommands().Count(c => c.Name == "aggregate" && c.Body["pipeline"].AsBsonArray.Count == 1);
        Assert.True(opened >= 3, $"the change stream was opened {opened} times: once, then again after each fault");
        using NpgsqlConnection conn = TestPg.Open();
        SchemaCompare.Equal(conn, Reference(server), schema);
    }

    [Fact]
    public async Task A_position_the_oplog_no_longer_holds_stops_with_exit_4_and_mode_clean_takes_a_new_snapshot()
    {
        (WireServer server, List<BsonDocument> fresh) = Serve(200, 50);
        await using var owned = server;
        string schema = _schemas.New("sync_lost");
        Etlfast.Run(SyncArgs(server, schema, "--until-caught-up", "0.5")).Ok();
        server.OplogCapacity = 10;
        using var client = WireKit.Client(server);
        new SeedWriter(Users(client), server.GetDocuments("sample_db", "users"), fresh, seed: 5).Run(40);

        Etlfast.Run(SyncArgs(server, schema, "--until-caught-up", "0.5"))
            .Fails(4, "no longer holds the stored position", "ChangeStreamHistoryLost", "--mode clean");
        Etlfast.Run(SyncArgs(server, schema, "--until-caught-up", "0.5", "--mode", "clean")).Ok();
        using NpgsqlConnection conn = TestPg.Open();
        SchemaCompare.Equal(conn, Reference(server), schema);
    }

    [Fact]
    public async Task A_dropped_collection_stops_the_sync_with_exit_4_after_applying_what_came_before()
    {
        (WireServer server, List<BsonDocument> fresh) = Serve(100, 10);
        await using var owned = server;
        string schema = _schemas.New("sync_drop");
        Etlfast.Run(SyncArgs(server, schema, "--until-caught-up", "0.5")).Ok();
        using var client = WireKit.Client(server);
        Users(client).InsertOne(fresh[0]);
        client.GetDatabase("sample_db").DropCollection("users");

        Etlfast.Run(SyncArgs(server, schema, "--until-caught-up", "0.5")).Fails(4, "was dropped", "--mode clean");
        using NpgsqlConnection conn = TestPg.Open();
        Assert.Equal(101L, PgTable.Count(conn, schema, "users")); // the insert before the drop is applied
    }

    private static long UsersRows(NpgsqlConnection conn, string schema) =>
        TestPg.Scalar(conn, $"SELECT to_regclass('{TestPg.Qualify(schema, "users")}')::text") is DBNull or null ? 0 : PgTable.Count(conn, schema, "users");

    private static long MaxUserId(NpgsqlConnection conn, string schema) =>
        TestPg.Scalar(conn, $"SELECT coalesce(max(id), 0) FROM {TestPg.Qualify(schema, "users")}") is long n ? n : 0;

    private static void WaitFor(EtlfastProcess p, Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(!p.HasExited, $"the sync ended before {what}\n{p}");
            Assert.True(clock.Elapsed < Bounded, $"no {what} within {Bounded.TotalSeconds:N0} s\n{p}");
            Thread.Sleep(10);
        }
    }
}
