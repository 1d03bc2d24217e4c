using System.Globalization;
using System.Text.RegularExpressions;
using EtlFast.Core.Tests.TestSupport;
using MongoDB.Bson;
using Npgsql;

namespace EtlFast.Core.Tests.Load;

/// <summary>
/// --mode create, clean, truncate and append against tables that do or do not exist, hold data or
/// keys: what each mode must do, and what a refused or failed load must leave untouched.
/// </summary>
public sealed class ModeTests : IDisposable
{
    private readonly Schemas _schemas = new();
    private readonly ScratchDir _dir = new();

    public void Dispose()
    {
        _schemas.Dispose();
        _dir.Dispose();
    }

    private static SeedData First => SeedData.Get(300, seed: 11);

    private static SeedData Second => SeedData.Get(200, seed: 12);

    private static Dictionary<string, string> Digests(NpgsqlConnection conn, string schema)
        => PgTable.Tables(conn, schema).ToDictionary(t => t, t => PgTable.Digest(conn, schema, t));

    [Fact]
    public void Create_refuses_when_one_table_exists_names_it_and_creates_nothing()
    {
        string schema = _schemas.New("create_one");
        using NpgsqlConnection conn = TestPg.Open();
        TestPg.Execute(conn, $"CREATE SCHEMA {TestPg.Quote(schema)}; CREATE TABLE {TestPg.Qualify(schema, "groups")} (note text); " +
            $"INSERT INTO {TestPg.Qualify(schema, "groups")} VALUES ('keep me')");

        Etlfast.Load(First.BsonPath, SeedData.Mapping, schema).Fails(2, $"\"{schema}.groups\"", "already exist");

        Assert.Equal(["groups"], PgTable.Tables(conn, schema));
        Assert.Equal("keep me", TestPg.Scalar(conn, $"SELECT string_agg(note, ',') FROM {TestPg.Qualify(schema, "groups")}"));
    }

    [Fact]
    public void Create_over_a_loaded_schema_refuses_and_changes_nothing()
    {
        string schema = _schemas.New("create_all");
        Etlfast.Load(First.BsonPath, SeedData.Mapping, schema, "-q").Ok();
        using NpgsqlConnection conn = TestPg.Open();
        Dictionary<string, string> before = Digests(conn, schema);

        CliResult r = Etlfast.Load(Second.BsonPath, SeedData.Mapping, schema, "--mode", "create").Fails(2, "already exist", $"\"{schema}.users\"");
        foreach (string table in SeedOracle.TableNames)
        {
            Assert.Contains($"\"{schema}.{table}\"", r.Err);
        }
        Assert.Equal(before, Digests(conn, schema));
        Assert.Equal(SeedOracle.Keys, PgConstraints.Keys(conn, schema));
    }

    [Fact]
    public void Clean_drops_and_recreates_the_tables()
    {
        string schema = _schemas.New("clean");
        Etlfast.Load(First.BsonPath, SeedData.Mapping, schema, "-q").Ok();
        using NpgsqlConnection conn = TestPg.Open();
        // A definition change the clean load must undo: the tables come back exactly as the mapping says.
        TestPg.Execute(conn, $"ALTER TABLE {TestPg.Qualify(schema, "users")} ADD COLUMN extra integer");

        Etlfast.Load(Second.BsonPath, SeedData.Mapping, schema, "--mode", "clean", "-j", "2").Ok();

        SeedData.AssertLoaded(conn, schema, Second.Tables);
    }

    [Fact]
    public void Clean_creates_tables_that_do_not_exist_yet()
    {
        string schema = _schemas.New("clean_new");
        Etlfast.Load(Second.BsonPath, SeedData.Mapping, schema, "--mode", "clean", "--constraints", "before").Ok();
        using NpgsqlConnection conn = TestPg.Open();
        SeedData.AssertLoaded(conn, schema, Second.Tables);
    }

    [Fact]
    public void Truncate_empties_and_reloads_tables_that_keep_their_keys()
    {
        string schema = _schemas.New("truncate");
        Etlfast.Load(First.BsonPath, SeedData.Mapping, schema, "-q").Ok();
        using NpgsqlConnection conn = TestPg.Open();
        TestPg.Execute(conn, $"CREATE INDEX users_email_by_hand ON {TestPg.Qualify(schema, "users")} (email)");

        Etlfast.Load(Second.BsonPath, SeedData.Mapping, schema, "--mode", "truncate", "-j", "2", "--chunk-size", "1").Ok();

        SeedData.AssertLoaded(conn, schema, Second.Tables);
        Assert.Equal(["users(email)"], PgConstraints.Indexes(conn, schema));
    }

    [Fact]
    public void Truncate_refuses_missing_tables()
    {
        string schema = _schemas.New("truncate_missing");
        Etlfast.Load(Second.BsonPath, SeedData.Mapping, schema, "--mode", "truncate").Fails(2, "not exist", $"\"{schema}.users\"");
        using NpgsqlConnection conn = TestPg.Open();
        Assert.Empty(PgTable.Tables(conn, schema));
    }

    [Fact]
    public void Append_adds_rows_to_tables_with_keys()
    {
        string schema = _schemas.New("append");
        SeedData data = First;
        string head = _dir.Write("head.bson", BsonFile.Slice(data.Bytes, 0, 120));
        string tail = _dir.Write("tail.bson", BsonFile.Slice(data.Bytes, 120, int.MaxValue));

        Etlfast.Load(head, SeedData.Mapping, schema, "-q").Ok();
        Etlfast.Load(tail, SeedData.Mapping, schema, "--mode", "append", "-j", "2").Ok();

        using NpgsqlConnection conn = TestPg.Open();
        SeedData.AssertLoaded(conn, schema, data.Tables);
    }

    [Fact]
    public void Append_of_the_same_data_fails_naming_the_table_and_keeps_the_first_load()
    {
        string schema = _schemas.New("append_twice");
        SeedData data = First;
        Etlfast.Load(data.BsonPath, SeedData.Mapping, schema, "-q").Ok();
        using NpgsqlConnection conn = TestPg.Open();
        Dictionary<string, string> before = Digests(conn, schema);

        Etlfast.Load(data.BsonPath, SeedData.Mapping, schema, "--mode", "append", "-j", "2")
            .Fails(4, "table \"users\"", "duplicate key", "rolled back");

        Assert.Equal(before, Digests(conn, schema));
        SeedData.AssertLoaded(conn, schema, data.Tables);
    }

    /// <summary>A duplicate key must be shown to the user: which table and which key value.</summary>
    [Fact]
    public void A_duplicate_key_error_shows_the_key()
    {
        string schema = _schemas.New("append_key");
        string file = _dir.Write("few.bson", BsonFile.Slice(First.Bytes, 0, 5));
        Etlfast.Load(file, SeedData.Mapping, schema, "-q").Ok();
        CliResult r = Etlfast.Load(file, SeedData.Mapping, schema, "--mode", "append", "-j", "1").Fails(4, "table \"users\"", "duplicate key");
        Assert.False(r.Err.Contains("redacted", StringComparison.Ordinal), $"the error detail must not be withheld from the user\n{r}");
        Assert.Matches(@"Key \(id\)=\([1-5]\) already exists", r.Err);
    }

    /// <summary>
    /// New users (more than one 1 MiB chunk of them) followed by users already loaded: the chunks of new
    /// users before the failing chunk stay committed, the failing chunk leaves no row in any table.
    /// </summary>
    [Fact]
    public void A_failed_append_rolls_back_exactly_the_failing_chunk()
    {
        string schema = _schemas.New("append_partial");
        SeedData data = SeedData.Get(400, seed: 13);
        const int Loaded = 100;
        Etlfast.Load(_dir.Write("first.bson", BsonFile.Slice(data.Bytes, 0, Loaded)), SeedData.Mapping, schema, "-q").Ok();
        byte[] fresh = BsonFile.Slice(data.Bytes, Loaded, int.MaxValue);
        Assert.True(fresh.Length > 1_200_000, "the new users must fill more than one 1 MiB chunk");
        byte[] again = BsonFile.Slice(data.Bytes, 0, 20);
        string file = _dir.Write("append.bson", [.. fresh, .. again]);

        CliResult r = Etlfast.Load(file, SeedData.Mapping, schema, "--mode", "append", "-j", "1", "--chunk-size", "1")
            .Fails(4, "table \"users\"", "duplicate key");

        Match m = Regex.Match(r.Err, @"byte offsets (\d+)\.\.(\d+)");
        Assert.True(m.Success, $"the message should give the failing chunk's byte range\n{r}");
        long start = long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        long end = long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        Assert.True(start > 0 && end == fresh.Length + again.Length, $"the failing chunk is the last one, ending at the file's end\n{r}");

        // Users whose documents end at or before the failing chunk's start are in; none from the chunk is.
        List<long> offsets = BsonFile.Offsets(File.ReadAllBytes(file));
        var kept = new HashSet<int>(Enumerable.Range(1, Loaded));
        for (int i = 0; i < offsets.Count && offsets[i] < start; i++)
        {
            kept.Add(Loaded + 1 + i);
        }
        Assert.True(kept.Count > Loaded, "the chunk before the failing one must have been committed");
        Assert.True(kept.Count < data.Documents.Count, "the failing chunk must hold new users too, to show they were rolled back");
        using NpgsqlConnection conn = TestPg.Open();
        SeedData.AssertLoaded(conn, schema, SeedData.TablesOf(data.Documents.Where(d => kept.Contains(d["_id"].AsInt32))));
    }
}
