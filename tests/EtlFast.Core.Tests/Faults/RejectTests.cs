using EtlFast.Core.Tests.TestSupport;
using System.Text;
using MongoDB.Bson;
using MongoDB.Bson.IO;
using MongoDB.Bson.Serialization;
using Npgsql;

namespace EtlFast.Core.Tests.Faults;

/// <summary>
/// --on-error reject: each document that cannot be stored goes whole (byte for byte) to
/// DIR/things.rejects.bson, once, with a log line naming its _id, byte offset, field, table and
/// reason; no row of it reaches any table; every good document loads exactly; exit code 1.
/// </summary>
public sealed class RejectTests : IDisposable
{
    /// <summary>Padding that makes a document about 100 KB, so 1 MiB chunks hold 11 documents.</summary>
    internal const int Pad = 100_000;

    private readonly FaultScope _scope = new();

    public void Dispose() => _scope.Dispose();

    public static TheoryData<string> KindNames => new(ThingsData.Kinds.Select(k => k.Name));

    private CliResult Load(ThingsFile file, string schema, params string[] extra) =>
        Etlfast.Load(file.Write(_scope.Dir), ThingsFile.WriteMapping(_scope.Dir), schema,
            ["--constraints", "before", "--chunk-size", "1", "--on-error", "reject", "--reject-dir", RejectDir, .. extra]);

    private string RejectDir => _scope.Dir.File("rejects");

    private string RejectBson => Path.Combine(RejectDir, "things.rejects.bson");

    private string RejectLog => Path.Combine(RejectDir, "things.rejects.log");

    /// <summary>33 documents of ~100 KB; the bad one is the 26th (in the third chunk), after its duplicate's original (the 4th).</summary>
    internal static ThingsFile OneBad(BadKind kind)
    {
        var file = new ThingsFile();
        for (int i = 0; i < 33; i++)
        {
            if (i == 25)
            {
                file.AddBad(kind, 1025, Pad);
            }
            else
            {
                file.AddGood(i + 1, Pad);
            }
        }
        return file;
    }

    [Theory]
    [MemberData(nameof(KindNames))]
    public void A_bad_document_is_rejected_whole_and_logged_and_the_rest_loads(string kindName)
    {
        BadKind kind = ThingsData.Kind(kindName);
        ThingsFile file = OneBad(kind);
        string schema = _scope.NewSchema("rej_" + kindName[..Math.Min(12, kindName.Length)]);

        CliResult r = Load(file, schema, "-j", "1");

        Assert.True(r.Exit == 1, $"expected exit 1 (completed with rejects)\n{r}");
        Assert.Contains("1 document was rejected", r.Err);
        (byte[] bytes, long id, long offset, _) = file.Bad.Single();
        Assert.True(File.Exists(RejectBson), $"no reject file {RejectBson}\n{r}");
        byte[] rejected = File.ReadAllBytes(RejectBson);
        Assert.True(rejected.AsSpan().SequenceEqual(bytes), $"the reject file holds {rejected.Length} bytes, not the bad document's {bytes.Length} bytes as they were");
        Assert.Equal([id], RejectedIds(rejected)); // and MongoDB.Bson reads it back

        string[] log = File.ReadAllLines(RejectLog);
        Assert.True(log.Length == 1, $"expected one log line, found {log.Length}:\n{string.Join("\n", log)}");
        AssertNames(log[0], id, offset, kind);

        ThingsFile.AssertTables(schema, file.Good);
        CheckpointState state = CheckpointState.Of(schema);
        Assert.True(state.Finished && state.Documents == 33 && state.Rejected == 1, $"checkpoints: {state}");
    }

    [Fact]
    public void Every_kind_at_once_with_two_workers_rejects_each_bad_document_exactly_once_and_verify_agrees()
    {
        var file = new ThingsFile();
        file.AddGood(1, Pad);
        file.AddGood(2, Pad);
        file.AddGood(3, Pad);
        file.AddGood(4, Pad);
        file.AddBad(ThingsData.Kind("duplicate_primary_key"), 0, Pad); // right after its original, in the same chunk
        long nextGood = 5;
        while (file.Offsets.Count < 11)
        {
            file.AddGood(nextGood++, Pad); // the rest of chunk 0: no other bad document shares the duplicate's chunk
        }
        BadKind[] others = [.. ThingsData.Kinds.Where(k => k.DuplicateOf is null)];
        for (int k = 0; k < others.Length; k++)
        {
            for (int i = 0; i < 5; i++)
            {
                file.AddGood(nextGood++, Pad);
            }
            file.AddBad(others[k], 1001 + k, Pad);
        }
        for (int i = 0; i < 4; i++)
        {
            file.AddGood(nextGood++, Pad);
        }
        string schema = _scope.NewSchema("rej_all");

        CliResult r = Load(file, schema, "-j", "2", "--verify");

        Assert.True(r.Exit == 1, $"expected exit 1 (completed with rejects)\n{r}");
        Assert.Contains($"{file.Bad.Count} documents were rejected", r.Err);
        // --verify leaves out what the load rejected (the duplicate by its offset, not its _id) and agrees.
        Assert.True(r.Out.Contains("all 2 tables match their source", StringComparison.Ordinal), $"verify did not agree\n{r}");
        AssertRejectFile(file);
        ThingsFile.AssertTables(schema, file.Good);
        CheckpointState state = CheckpointState.Of(schema);
        Assert.True(state.Finished && state.Documents == file.Offsets.Count && state.Rejected == file.Bad.Count, $"checkpoints: {state}");
    }

    [Fact]
    public void A_chunk_with_a_duplicate_key_and_an_unconvertible_document_records_each_once()
    {
        // One chunk: PostgreSQL refuses it for the duplicate, so it is loaded again document by
        // document; the unconvertible document met on the first pass must not be recorded again.
        var file = new ThingsFile();
        for (int id = 1; id <= 4; id++)
        {
            file.AddGood(id);
        }
        file.AddBad(ThingsData.Kind("nul_in_text"), 1001);
        file.AddBad(ThingsData.Kind("duplicate_primary_key"), 0);
        file.AddGood(5);
        string schema = _scope.NewSchema("rej_dup_mix");

        CliResult r = Load(file, schema, "-j", "1");

        Assert.True(r.Exit == 1, $"expected exit 1 (completed with rejects)\n{r}");
        AssertRejectFile(file);
        Assert.Contains("2 documents were rejected", r.Err);
        ThingsFile.AssertTables(schema, file.Good);
    }

    [Fact]
    public void Max_rejects_stops_with_exit_4_beyond_the_limit_and_allows_up_to_it()
    {
        var file = new ThingsFile();
        for (int i = 1; i <= 20; i++)
        {
            if (i % 4 == 0)
            {
                file.AddBad(ThingsData.Kind("nul_in_text"), 1000 + i);
            }
            else
            {
                file.AddGood(i);
            }
        }
        Assert.Equal(5, file.Bad.Count);

        string over = _scope.NewSchema("rej_max_over");
        CliResult r = Load(file, over, "--max-rejects", "4");
        r.Fails(4, "more than 4", "--max-rejects");
        using (NpgsqlConnection conn = TestPg.Open())
        {
            // The only chunk was rolled back: nothing of it stays.
            Assert.Equal(0L, PgTable.Count(conn, over, "things"));
            Assert.Equal(0L, PgTable.Count(conn, over, "tags"));
            Assert.Equal(0L, (long)TestPg.Scalar(conn,
                "SELECT count(*) FROM etlfast.rejects j JOIN etlfast.runs r USING (run_id) WHERE r.target_schema = $1", over)!);
        }
        // Nor in the reject file: it holds documents of committed chunks only (a scheduler's retry with a
        // higher limit would otherwise find rejects there that the tables never lost).
        Assert.False(File.Exists(RejectBson) && new FileInfo(RejectBson).Length > 0, "the reject file holds documents of a chunk that rolled back");
        Assert.Contains("_id 1020", r.Err); // the message names the document over the limit: the 5th bad one

        string at = _scope.NewSchema("rej_max_at");
        r = Load(file, at, "--max-rejects", "5");
        Assert.True(r.Exit == 1, $"5 rejects with --max-rejects 5 must complete\n{r}");
        AssertRejectFile(file);
        ThingsFile.AssertTables(at, file.Good);
    }

    /// <summary>The reject file holds exactly the bad documents, byte for byte, each once; the log one matching line each.</summary>
    private void AssertRejectFile(ThingsFile file)
    {
        Assert.True(File.Exists(RejectBson), $"no reject file {RejectBson}");
        byte[] all = File.ReadAllBytes(RejectBson);
        var got = new List<string>();
        for (int pos = 0; pos + 4 <= all.Length; pos += BitConverter.ToInt32(all, pos))
        {
            got.Add(Convert.ToHexString(all, pos, BitConverter.ToInt32(all, pos)));
        }
        var want = file.Bad.Select(b => Convert.ToHexString(b.Bytes)).ToList();
        var extra = got.GroupBy(h => h).Where(g => g.Count() > want.Count(w => w == g.Key)).Select(g => Describe(file, g.Key) + $" x{g.Count()}").ToList();
        var missing = want.Where(w => !got.Contains(w)).Select(w => Describe(file, w)).ToList();
        Assert.True(extra.Count == 0 && missing.Count == 0 && got.Count == want.Count,
            $"reject file: {got.Count} documents for {want.Count} rejected; more often than rejected: [{string.Join(", ", extra)}]; missing: [{string.Join(", ", missing)}]");
        Assert.Equal(file.Bad.Select(b => b.Id).Order(), RejectedIds(all).Order());

        string[] log = File.ReadAllLines(RejectLog);
        Assert.True(log.Length == file.Bad.Count, $"expected {file.Bad.Count} log lines, found {log.Length}:\n{string.Join("\n", log)}");
        foreach ((_, long id, long offset, BadKind kind) in file.Bad)
        {
            Assert.True(log.Count(l => l.Contains($"\tbyte offset {offset}\t", StringComparison.Ordinal)) == 1,
                $"no single log line for the {kind} document at byte offset {offset}:\n{string.Join("\n", log)}");
        }
    }

    /// <summary>
    /// The _id of every document of a reject file, decoded by MongoDB.Bson (leniently: a rejected
    /// document may hold invalid UTF-8, which is why it was rejected).
    /// </summary>
    internal static List<long> RejectedIds(byte[] rejects)
    {
        var ids = new List<long>();
        var settings = new BsonBinaryReaderSettings { Encoding = new UTF8Encoding(false, throwOnInvalidBytes: false) };
        using var stream = new MemoryStream(rejects);
        using var reader = new BsonBinaryReader(stream, settings);
        while (stream.Position < stream.Length)
        {
            ids.Add(BsonSerializer.Deserialize<BsonDocument>(reader)["_id"].ToInt64());
        }
        return ids;
    }

    private static string Describe(ThingsFile file, string hex)
    {
        foreach ((byte[] bytes, long id, long offset, BadKind kind) in file.Bad)
        {
            if (Convert.ToHexString(bytes) == hex)
            {
                return $"{kind} _id {id} at {offset}";
            }
        }
        return "a document that was never rejected";
    }

    /// <summary>A reject log line or error message names the document's _id and byte offset, the field, the table and the reason.</summary>
    internal static void AssertNames(string text, long id, long offset, BadKind kind)
    {
        string[] wanted = [$"_id {id}", $"byte offset {offset}", $"\"{kind.Field}\"", $"table \"{kind.Table}\"", kind.Reason];
        // A key column may be named as PostgreSQL's detail names it: "Key (id)=(4) already exists".
        string[] absent = [.. wanted.Where(w => !text.Contains(w, StringComparison.Ordinal)
            && !(kind.DuplicateOf is not null && w == $"\"{kind.Field}\"" && text.Contains($"({kind.Field})", StringComparison.Ordinal)))];
        Assert.True(absent.Length == 0, $"{kind}: the message does not name {string.Join(" | ", absent.Select(a => "«" + a + "»"))}:\n{text}");
    }
}
