using EtlFast.Core.Load;
using EtlFast.Core.Tests.Faults;
using EtlFast.Core.Tests.Load;
using EtlFast.Core.Tests.TestSupport;
using MongoDB.Bson;
using Npgsql;

namespace EtlFast.Core.Tests.LiveSource;

using WireServer = EtlFast.WireServer.WireServer;

/// <summary>
/// A live load stopped part way, then resumed after the collection changed as live collections do:
/// documents inserted with larger <c>_id</c>s (which moves the maximum and the count the range planner
/// cuts by), documents updated so they grow, documents deleted. The resumed load must read the ranges
/// the load started with and go on after the last <c>_id</c> each range committed, so that no document
/// of the collection is lost or doubled: the tables must equal a load of exactly the documents a
/// correct resume reads (the committed ones as they were, the rest as they are now, the new ones).
/// Before the range plan was stored, the resume planned again and skipped or doubled documents.
/// </summary>
public sealed class LiveResumeTests : IDisposable
{
    private const int Users = 2000;
    private const int Inserted = 300;
    private const ulong Seed = 616;
    private const long BadId = 1200;
    private static readonly long[] Deleted = [5, 700, 1500, 1999];
    private static readonly long[] Grown = [3, 800, 1300, 1998];

    private readonly Schemas _schemas = new();
    private readonly ScratchDir _dir = new("etlfast-live-resume-");

    public void Dispose()
    {
        _schemas.Dispose();
        _dir.Dispose();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task A_resume_after_inserts_updates_and_deletes_loses_and_doubles_nothing(int jobs)
    {
        Collection c = Collection.Make();
        string schema = _schemas.New($"lr_j{jobs}");
        int port;
        await using (var first = new WireServer())
        {
            port = first.Port;
            first.AddDocuments("sample_db", "users", c.Original(bad: true));
            Etlfast.Load(Uri(port), SeedData.Mapping, schema, "-j", jobs.ToString(System.Globalization.CultureInfo.InvariantCulture), "--chunk-size", "1")
                .Fails(4, "age");
        }
        HashSet<long> committed = CommittedUsers(schema);
        Assert.True(committed.Count > 0, "the stopped load committed nothing, so the resume proves nothing");
        Assert.DoesNotContain(BadId, committed);

        await using (var second = new WireServer(port))
        {
            second.AddDocuments("sample_db", "users", c.Changed());
            CliResult r = Etlfast.Load(Uri(port), SeedData.Mapping, schema, "-j", jobs.ToString(System.Globalization.CultureInfo.InvariantCulture), "--chunk-size", "1", "--resume").Ok();
            Assert.Contains("the stored plan has", r.Err);
        }
        AssertExact(c, committed, schema);
    }

    [Fact]
    public async Task Killed_with_a_range_half_committed_then_resumed_after_a_change_loses_and_doubles_nothing()
    {
        // The real process, killed with SIGKILL. The test holds chunk 1 of range 2 at its checkpoint
        // (its rows copied, its transaction open), so range 2 stops after its chunk 0 while the other
        // ranges go on; killed then, the load leaves a range half committed and other chunks in flight,
        // whatever the machine's speed. The collection then changes, and --resume must read the stored
        // ranges, each after its last committed _id.
        Collection c = Collection.Make();
        string schema = _schemas.New("lr_kill");
        string app = FaultScope.NewAppName("lrkill");
        int port;
        await using (var first = new WireServer())
        {
            port = first.Port;
            first.AddDocuments("sample_db", "users", c.Original(bad: false));
            string runId = Checkpoints.RunId(Checkpoints.SourceIdentity(Uri(port), null)!, File.ReadAllBytes(SeedData.Mapping), schema, 1 << 20);
            using var hold = CheckpointHold.From(runId, (2L << 24) | 1);
            using (EtlfastProcess p = EtlfastProcess.Start("load", "--from", Uri(port), "-m", SeedData.Mapping, "--to", FaultScope.Target(app),
                "--schema", schema, "--chunk-size", "1", "-j", "2"))
            {
                Backends.WaitUntilWaiting(p, app, CheckpointHold.HeldStatement, 1, TimeSpan.FromSeconds(120));
                p.Signal(PosixSignals.SIGKILL);
                Assert.Equal(128 + PosixSignals.SIGKILL, p.WaitForExit(TimeSpan.FromSeconds(30)));
            }
            hold.Release();
            Backends.WaitUntilGone(app, TimeSpan.FromSeconds(30));
        }
        HashSet<long> committed = CommittedUsers(schema);
        Assert.True(committed.Count > 0, "nothing was committed before the kill, so the resume proves nothing");

        await using (var second = new WireServer(port))
        {
            second.AddDocuments("sample_db", "users", c.Changed());
            CliResult r = Etlfast.Load(Uri(port), SeedData.Mapping, schema, "-j", "2", "--chunk-size", "1", "--resume").Ok();
            Assert.Contains("go on after the last _id they committed", r.Err);
        }
        AssertExact(c, committed, schema);
    }

    [Fact]
    public async Task Partitions_started_apart_around_a_change_read_the_one_stored_plan()
    {
        // Partition 0/2 starts alone and stops in its range holding the bad document; the collection
        // then grows and changes; partition 1/2 starts only now (its plan must be the stored one, not
        // one made from the grown collection), and partition 0/2 resumes and finishes the load.
        Collection c = Collection.Make();
        string schema = _schemas.New("lr_parts");
        int port;
        await using (var first = new WireServer())
        {
            port = first.Port;
            first.AddDocuments("sample_db", "users", c.Original(bad: true));
            Etlfast.Load(Uri(port), SeedData.Mapping, schema, "-j", "2", "--chunk-size", "1", "--partition", "0/2").Fails(4, "age");
        }
        HashSet<long> committed = CommittedUsers(schema);
        Assert.True(committed.Count > 0, "partition 0/2 committed nothing, so the resume proves nothing");

        await using (var second = new WireServer(port))
        {
            second.AddDocuments("sample_db", "users", c.Changed());
            CliResult joined = Etlfast.Load(Uri(port), SeedData.Mapping, schema, "-j", "2", "--chunk-size", "1", "--partition", "1/2").Ok();
            Assert.Contains("joining the load", joined.Err);
            Etlfast.Load(Uri(port), SeedData.Mapping, schema, "-j", "2", "--chunk-size", "1", "--partition", "0/2", "--resume").Ok();
        }
        AssertExact(c, committed, schema);
    }

    [Fact]
    public async Task A_resume_of_a_finished_live_load_has_nothing_to_do_and_exits_0()
    {
        // A scheduler's retry of a step that finished: exit 0, nothing read or written.
        Collection c = Collection.Make();
        string schema = _schemas.New("lr_done");
        await using var server = new WireServer();
        server.AddDocuments("sample_db", "users", c.Original(bad: false));
        Etlfast.Load(Uri(server.Port), SeedData.Mapping, schema, "--chunk-size", "1").Ok();
        using NpgsqlConnection conn = TestPg.Open();
        string before = Counts(conn, schema);

        server.AddDocuments("sample_db", "users", c.Inserts); // a re-run must not load these: the load had finished
        CliResult r = Etlfast.Load(Uri(server.Port), SeedData.Mapping, schema, "--chunk-size", "1", "--resume").Ok();

        Assert.Contains("nothing to do", r.Err);
        Assert.Equal(before, Counts(conn, schema));
    }

    private static string Uri(int port) => $"mongodb://127.0.0.1:{port}/?directConnection=true&serverSelectionTimeoutMS=5000";

    private static HashSet<long> CommittedUsers(string schema)
    {
        using NpgsqlConnection conn = TestPg.Open();
        using var cmd = new NpgsqlCommand($"SELECT id FROM {TestPg.Qualify(schema, "users")}", conn);
        using NpgsqlDataReader r = cmd.ExecuteReader();
        var ids = new HashSet<long>();
        while (r.Read())
        {
            Assert.True(ids.Add(r.GetInt64(0)), $"user {r.GetInt64(0)} committed twice by the first load");
        }
        return ids;
    }

    private static string Counts(NpgsqlConnection conn, string schema) =>
        string.Join(",", PgTable.Tables(conn, schema).Select(t => $"{t}={PgTable.Count(conn, schema, t)}"));

    /// <summary>
    /// The resumed tables hold exactly: each committed document as it was when committed, every other
    /// document of the changed collection as it is now (the deleted ones not at all), and every
    /// inserted one; compared with a file load of those documents, table by table, row by row.
    /// </summary>
    private void AssertExact(Collection c, HashSet<long> committed, string schema)
    {
        var expected = new List<BsonDocument>();
        expected.AddRange(c.Original(bad: false).Where(d => committed.Contains(Id(d))));
        expected.AddRange(c.Changed().Where(d => !committed.Contains(Id(d))));
        string file = _dir.Write("expected.bson", BsonFile.Encode(expected.OrderBy(Id)));
        string reference = _schemas.New("lr_ref");
        Etlfast.Load(file, SeedData.Mapping, reference, "-j", "2").Ok();

        using NpgsqlConnection conn = TestPg.Open();
        long users = (long)TestPg.Scalar(conn, $"SELECT count(*) FROM {TestPg.Qualify(schema, "users")}")!;
        long distinct = (long)TestPg.Scalar(conn, $"SELECT count(DISTINCT id) FROM {TestPg.Qualify(schema, "users")}")!;
        Assert.Equal(distinct, users);
        Assert.Equal(expected.Count, users);
        LiveKit.SameTables(conn, reference, schema);
    }

    private static long Id(BsonDocument d) => d["_id"].ToInt64();

    /// <summary>The seed users before and after the change, all as fresh copies.</summary>
    private sealed class Collection
    {
        private readonly List<BsonDocument> _original;

        private Collection(List<BsonDocument> original, List<BsonDocument> inserts)
        {
            _original = original;
            Inserts = inserts;
        }

        public List<BsonDocument> Inserts { get; }

        public static Collection Make()
        {
            List<BsonDocument> original = SeedData.Get(Users, Seed).Documents;
            // Users Users+1 .. Users+Inserted of a larger generated set: new _ids above the old maximum.
            List<BsonDocument> more = [.. SeedData.Get(Users + Inserted, Seed).Documents.Where(d => Id(d) > Users).Select(Copy)];
            return new Collection(original, more);
        }

        /// <summary>The collection the load starts on; with <paramref name="bad"/> one user's age cannot go into an integer column, which stops the load in that user's range.</summary>
        public List<BsonDocument> Original(bool bad)
        {
            List<BsonDocument> docs = [.. _original.Select(Copy)];
            if (bad)
            {
                docs.Single(d => Id(d) == BadId)["age"] = new BsonDouble(40.5);
            }
            return docs;
        }

        /// <summary>The collection at resume: the bad value fixed, some documents deleted, some grown, new ones inserted.</summary>
        public List<BsonDocument> Changed()
        {
            List<BsonDocument> docs = [.. Original(bad: false).Where(d => !Deleted.Contains(Id(d)))];
            foreach (BsonDocument d in docs.Where(d => Grown.Contains(Id(d))))
            {
                BsonDocument large = d["largeData"].AsBsonDocument;
                large["blob1"] = string.Concat(Enumerable.Repeat(large["blob1"].AsString, 40));
            }
            docs.AddRange(Inserts.Select(Copy));
            return docs;
        }

        private static BsonDocument Copy(BsonDocument d) => d.DeepClone().AsBsonDocument;
    }
}
