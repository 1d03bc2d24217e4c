using EtlFast.Core.Tests.TestSupport;
using MongoDB.Bson;
using Npgsql;

namespace EtlFast.Core.Tests.Faults;

/// <summary>
/// Duplicate keys under the default <c>--constraints after</c>: the rows load, then the key build
/// finds the duplicate. The load stops naming every document that carries it (its _id and byte
/// offset) and stays resumable; with <c>--on-error reject</c> (from the start, or on --resume) every
/// document after the first that repeats a key is rejected, and the tables end exactly as a load of
/// the file without those documents.
/// </summary>
public sealed class DuplicateKeyAfterTests : IDisposable
{
    private const string Mapping = """
        {
          "collection": "users",
          "tables": [
            { "name": "users",
              "columns": [
                { "name": "id",   "type": "bigint", "from": "_id" },
                { "name": "name", "type": "text",   "from": "name" }
              ],
              "primaryKey": ["id"] },
            { "name": "messages", "path": "messages[]",
              "columns": [
                { "name": "id",      "type": "text",   "from": "id" },
                { "name": "user_id", "type": "bigint", "from": "$root._id", "references": "users.id" },
                { "name": "body",    "type": "text",   "from": "body" }
              ],
              "primaryKey": ["id"] },
            { "name": "tags", "path": "tags[]",
              "columns": [
                { "name": "user_id", "type": "bigint", "from": "$root._id", "references": "users.id" },
                { "name": "tag",     "type": "text",   "from": "$value" }
              ],
              "indexes": [{ "columns": ["user_id", "tag"], "unique": true }] }
          ]
        }
        """;

    private readonly FaultScope _scope = new();

    public void Dispose() => _scope.Dispose();

    private static BsonDocument User(long id, string name, params string[] messageIds) => new()
    {
        { "_id", id },
        { "name", name },
        { "messages", new BsonArray(messageIds.Select(m => new BsonDocument { { "id", m }, { "body", $"{m} from {name}" } })) },
        { "tags", new BsonArray { "t" + (id % 3), "all" } },
    };

    /// <summary>Users 1..12, each with two messages of its own ids; then the bad ones.</summary>
    private static List<BsonDocument> Users(bool rootDuplicate, bool childDuplicate)
    {
        var users = new List<BsonDocument>();
        for (long id = 1; id <= 12; id++)
        {
            users.Add(childDuplicate && id == 9 ? User(9, "user 9", "m-9-1", "m-3-1") : User(id, $"user {id}", $"m-{id}-1", $"m-{id}-2"));
        }
        if (rootDuplicate)
        {
            // The _id of user 5 again (a concatenated dump), with other content: its tags rows equal user 5's.
            users.Add(User(5, "user 5 again", "m-5b-1"));
        }
        return users;
    }

    private sealed record Case(string Name, List<BsonDocument> Documents, string Table, string Value, int First, int Second);

    public static TheoryData<string> Cases => ["root", "child"];

    private static Case Of(string name) => name == "root"
        ? new Case(name, Users(rootDuplicate: true, childDuplicate: false), "users", "id=5", 4, 12)
        : new Case(name, Users(rootDuplicate: false, childDuplicate: true), "messages", "id=m-3-1", 2, 8);

    private string RejectDir => _scope.Dir.File("rejects");

    private CliResult Load(string file, string schema, params string[] extra) =>
        Etlfast.Load(file, _scope.Dir.Write("users.json", Mapping), schema, ["-j", "2", "--reject-dir", RejectDir, .. extra]);

    /// <summary>"document _id N at byte offset X" for each of the case's two documents.</summary>
    private static string Named(byte[] bson, List<BsonDocument> docs, int index) =>
        $"document _id {docs[index]["_id"]} at byte offset {BsonFile.Offsets(bson)[index]}";

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_duplicate_stops_naming_both_documents_stays_resumable_and_resume_with_reject_rejects_the_second(string name)
    {
        Case c = Of(name);
        byte[] bson = BsonFile.Encode(c.Documents);
        string file = _scope.Dir.Write($"{name}.bson", bson);
        string schema = _scope.NewSchema("dupafter_" + name);
        string expected = $"duplicate key in table \"{c.Table}\": {c.Value} comes from {Named(bson, c.Documents, c.First)} and {Named(bson, c.Documents, c.Second)} of ";

        CliResult stop = Load(file, schema).Fails(4, expected, "--on-error reject");
        Assert.False(CheckpointState.Of(schema).Finished, $"a load stopped by a duplicate must stay unfinished\n{stop}");

        // Nothing fixed: --resume stops the same clear way, and the run stays resumable.
        Load(file, schema, "--resume").Fails(4, expected, "--on-error reject");
        Assert.False(CheckpointState.Of(schema).Finished);

        CliResult reject = Load(file, schema, "--resume", "--on-error", "reject");
        Assert.True(reject.Exit == 1, $"expected exit 1 (completed with rejects)\n{reject}");
        AssertRejected(bson, [c.Second], schema, $"{name}.ref");
        CheckpointState state = CheckpointState.Of(schema);
        Assert.True(state.Finished && state.Rejected == 1, $"checkpoints: {state}");
        Verify(file, schema).Ok();

        // A second --resume (a scheduler's retry) finds the load finished and changes nothing; its
        // outcome is still "completed with rejects".
        CliResult again = Load(file, schema, "--resume", "--on-error", "reject");
        Assert.True(again.Exit == 1 && again.Err.Contains("nothing to do", StringComparison.Ordinal), $"expected exit 1 and nothing to do\n{again}");
        AssertRejected(bson, [c.Second], schema, $"{name}.ref2");
    }

    [Fact]
    public void With_reject_from_the_start_both_kinds_are_rejected_and_verify_agrees()
    {
        List<BsonDocument> docs = Users(rootDuplicate: true, childDuplicate: true);
        byte[] bson = BsonFile.Encode(docs);
        string file = _scope.Dir.Write("both.bson", bson);
        string schema = _scope.NewSchema("dupafter_both");

        CliResult r = Load(file, schema, "--on-error", "reject");

        Assert.True(r.Exit == 1, $"expected exit 1 (completed with rejects)\n{r}");
        Assert.Contains("2 documents were rejected", r.Err);
        AssertRejected(bson, [8, 12], schema, "both.ref");
        string log = File.ReadAllText(Path.Combine(RejectDir, "users.rejects.log"));
        Assert.Contains($"_id 9\tbyte offset {BsonFile.Offsets(bson)[8]}\tduplicate key in table \"messages\": id=m-3-1 also comes from {Named(bson, docs, 2)}", log);
        Assert.Contains($"_id 5\tbyte offset {BsonFile.Offsets(bson)[12]}\tduplicate key in table \"users\": id=5 also comes from {Named(bson, docs, 4)}", log);
        Verify(file, schema).Ok();
        CliResult again = Load(file, schema, "--resume");
        Assert.True(again.Exit == 1 && again.Err.Contains("nothing to do", StringComparison.Ordinal), $"expected exit 1 and nothing to do\n{again}");
    }

    [Fact]
    public void A_document_is_rejected_once_when_it_repeats_two_keys_and_its_own_and_a_unique_index_rejects_a_document_repeating_itself()
    {
        // The last document repeats user 5's _id and user 3's message, and yields message m-x twice itself.
        List<BsonDocument> docs = Users(rootDuplicate: false, childDuplicate: false);
        docs.Add(User(5, "user 5 again", "m-3-1", "m-x", "m-x"));
        // And one whose only fault is its own tag twice, which only the unique index (user_id, tag) sees.
        docs.Add(new BsonDocument { { "_id", 13L }, { "name", "user 13" }, { "messages", new BsonArray() }, { "tags", new BsonArray { "x", "x" } } });
        byte[] bson = BsonFile.Encode(docs);
        string file = _scope.Dir.Write("many.bson", bson);
        string schema = _scope.NewSchema("dupafter_many");

        CliResult r = Load(file, schema, "--on-error", "reject");

        Assert.True(r.Exit == 1, $"expected exit 1 (completed with rejects)\n{r}");
        AssertRejected(bson, [12, 13], schema, "many.ref");
        string log = File.ReadAllText(Path.Combine(RejectDir, "users.rejects.log"));
        Assert.Contains($"_id 13\tbyte offset {BsonFile.Offsets(bson)[13]}\tduplicate key in table \"tags\": the document yields (user_id, tag)=(13, x) more than once", log);
        Verify(file, schema).Ok();
    }

    [Fact]
    public void A_reject_pass_that_fails_midway_changes_nothing_and_a_later_resume_finishes_it()
    {
        Case c = Of("root");
        byte[] bson = BsonFile.Encode(c.Documents);
        string file = _scope.Dir.Write("midway.bson", bson);
        string schema = _scope.NewSchema("dupafter_midway");
        Load(file, schema).Fails(4, "duplicate key in table \"users\"");
        using NpgsqlConnection conn = TestPg.Open();
        string tags = TestPg.Qualify(schema, "tags");
        // Rows of user 5 that the pass must remove from the last table, changed: it fails there, after removing rows from users and messages.
        TestPg.Execute(conn, $"UPDATE {tags} SET tag = 'changed' WHERE user_id = 5 AND tag = 'all'");
        string[] before = [.. PgTable.Tables(conn, schema).Order(StringComparer.Ordinal).Select(t => PgTable.Digest(conn, schema, t))];

        Load(file, schema, "--resume", "--on-error", "reject").Fails(4, "could not take the documents that repeat a key out of table \"tags\"");

        Assert.Equal(before, PgTable.Tables(conn, schema).Order(StringComparer.Ordinal).Select(t => PgTable.Digest(conn, schema, t)));
        Assert.Equal(0L, (long)TestPg.Scalar(conn, "SELECT count(*) FROM etlfast.rejects r JOIN etlfast.runs USING (run_id) WHERE target_schema = $1", schema)!);
        Assert.False(CheckpointState.Of(schema).Finished);

        TestPg.Execute(conn, $"UPDATE {tags} SET tag = 'all' WHERE user_id = 5 AND tag = 'changed'");
        CliResult r = Load(file, schema, "--resume", "--on-error", "reject");
        Assert.True(r.Exit == 1, $"expected exit 1 (completed with rejects)\n{r}");
        AssertRejected(bson, [c.Second], schema, "midway.ref");
    }

    [Fact]
    public void From_standard_input_the_duplicate_is_named_and_the_hint_says_to_load_a_file()
    {
        byte[] bson = BsonFile.Encode(Users(rootDuplicate: true, childDuplicate: false));
        string schema = _scope.NewSchema("dupafter_stdin");

        Etlfast.LoadStdin(() => new MemoryStream(bson), _scope.Dir.Write("users.json", Mapping), schema, "--on-error", "reject")
            .Fails(4, "duplicate key in table \"users\": id=5 is duplicated", "standard input cannot be read again", "load the file");
    }

    [Fact]
    public async Task A_live_source_names_the_documents_by_id_and_resume_with_reject_rejects_the_second()
    {
        Case c = Of("child");
        byte[] bson = BsonFile.Encode(c.Documents);
        string file = _scope.Dir.Write("live.bson", bson);
        await using var server = new EtlFast.WireServer.WireServer();
        server.LoadBsonFile("app", "users", file);
        string uri = LiveSource.LiveKit.Uri(server);
        string schema = _scope.NewSchema("dupafter_live");

        Load(uri, schema, "-d", "app").Fails(4, "duplicate key in table \"messages\": id=m-3-1 comes from document _id 3 and document _id 9 of ", "--on-error reject");
        Assert.False(CheckpointState.Of(schema).Finished);

        CliResult reject = Load(uri, schema, "-d", "app", "--resume", "--on-error", "reject");
        Assert.True(reject.Exit == 1, $"expected exit 1 (completed with rejects)\n{reject}");
        AssertRejected(bson, [c.Second], schema, "live.ref");
        Verify(uri, schema, "-d", "app").Ok();
    }

    private CliResult Verify(string file, string schema, params string[] extra) =>
        Etlfast.Run(["verify", "--from", file, "-m", _scope.Dir.File("users.json"), "--to", TestPg.ConnectionString, "--schema", schema, .. extra]);

    /// <summary>
    /// The reject file holds exactly the documents at <paramref name="rejected"/>, byte for byte, in
    /// source order, and every table (rows and keys) equals a load of the file without them.
    /// </summary>
    private void AssertRejected(byte[] bson, int[] rejected, string schema, string reference)
    {
        List<long> offsets = BsonFile.Offsets(bson);
        byte[] want = [.. rejected.SelectMany(i => BsonFile.Slice(bson, i, i + 1))];
        byte[] got = File.ReadAllBytes(Path.Combine(RejectDir, "users.rejects.bson"));
        Assert.True(want.AsSpan().SequenceEqual(got), $"the reject file holds {got.Length} bytes, not the {rejected.Length} rejected documents' {want.Length}");

        byte[] kept = [.. Enumerable.Range(0, offsets.Count).Where(i => !rejected.Contains(i)).SelectMany(i => BsonFile.Slice(bson, i, i + 1))];
        string refSchema = _scope.NewSchema("dupref");
        Etlfast.Load(_scope.Dir.Write(reference + ".bson", kept), _scope.Dir.File("users.json"), refSchema).Ok();
        using NpgsqlConnection conn = TestPg.Open();
        SchemaCompare.Equal(conn, refSchema, schema);
    }
}
