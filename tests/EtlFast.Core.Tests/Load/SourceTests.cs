using System.IO.Compression;
using EtlFast.Core.Tests.TestSupport;
using Npgsql;

namespace EtlFast.Core.Tests.Load;

/// <summary>
/// The same users read from every kind of file source --from accepts must give the same tables:
/// gzip, a mongodump directory (plain and --gzip), and standard input.
/// </summary>
public sealed class SourceTests : IDisposable
{
    private const int Users = 800;
    private readonly Schemas _schemas = new();
    private readonly ScratchDir _dir = new();

    public void Dispose()
    {
        _schemas.Dispose();
        _dir.Dispose();
    }

    private static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest))
        {
            gz.Write(bytes);
        }
        return output.ToArray();
    }

    /// <summary>What mongodump writes next to each collection's data.</summary>
    private const string Metadata = """
        {"indexes":[{"v":{"$numberInt":"2"},"key":{"_id":{"$numberInt":"1"}},"name":"_id_"}],"uuid":"3b241101e2bb42558caf4136c566a962","collectionName":"users","type":"collection"}
        """;

    [Theory]
    [InlineData("gz")]
    [InlineData("dump")]
    [InlineData("dump-gz")]
    [InlineData("stdin")]
    public void Every_source_gives_the_same_tables(string kind)
    {
        SeedData data = SeedData.Get(Users);
        // A decoy: another database's "users" in the same dump, which the mapping's "database" must rule out.
        byte[] decoy = SeedData.Get(5, seed: 99).Bytes;
        string schema = _schemas.New("src_" + kind.Replace('-', '_'));
        CliResult r;
        switch (kind)
        {
            case "gz":
                r = Etlfast.Load(_dir.Write("users.bson.gz", Gzip(data.Bytes)), SeedData.Mapping, schema, "-j", "2");
                break;
            case "dump":
                _dir.Write("dump/sample_db/users.bson", data.Bytes);
                _dir.Write("dump/sample_db/users.metadata.json", Metadata);
                _dir.Write("dump/other_db/users.bson", decoy);
                _dir.Write("dump/other_db/users.metadata.json", Metadata);
                r = Etlfast.Load(_dir.File("dump"), SeedData.Mapping, schema, "-j", "2");
                break;
            case "dump-gz":
                _dir.Write("dump/sample_db/users.bson.gz", Gzip(data.Bytes));
                _dir.Write("dump/sample_db/users.metadata.json.gz", Gzip(System.Text.Encoding.UTF8.GetBytes(Metadata)));
                _dir.Write("dump/other_db/users.bson.gz", Gzip(decoy));
                r = Etlfast.Load(_dir.File("dump"), SeedData.Mapping, schema, "-j", "2");
                break;
            default:
                r = Etlfast.LoadStdin(() => File.OpenRead(data.BsonPath), SeedData.Mapping, schema, "-j", "2", "--chunk-size", "1");
                Assert.True(r.Chunks >= 4, $"stdin in 1 MiB chunks should give several chunks\n{r}");
                break;
        }
        r.Ok();
        Assert.Contains($"loaded {Users:N0} documents", r.Err);
        using NpgsqlConnection conn = TestPg.Open();
        SeedData.AssertLoaded(conn, schema, data.Tables);
    }

    [Fact]
    public void Db_and_collection_flags_pick_the_file_in_a_dump()
    {
        SeedData people = SeedData.Get(30, seed: 31), decoy = SeedData.Get(5, seed: 99);
        _dir.Write("dump/sample_db/users.bson", decoy.Bytes);
        _dir.Write("dump/archive/people.bson", people.Bytes);
        _dir.Write("dump/archive/users.bson", decoy.Bytes);
        string schema = _schemas.New("src_flags");

        Etlfast.Load(_dir.File("dump"), SeedData.Mapping, schema, "-d", "archive", "-c", "people").Ok();

        using NpgsqlConnection conn = TestPg.Open();
        SeedData.AssertLoaded(conn, schema, people.Tables);
    }

    [Fact]
    public void An_empty_file_loads_nothing_and_creates_the_tables()
    {
        string schema = _schemas.New("src_empty");
        Etlfast.Load(_dir.Write("empty.bson", []), SeedData.Mapping, schema).Ok();
        using NpgsqlConnection conn = TestPg.Open();
        SeedData.AssertLoaded(conn, schema, SeedData.TablesOf([]));
    }

    /// <summary>
    /// Exit 2 means "bad command line: nothing was read or written" (ExitCodes.Usage): a wrong --from
    /// must not leave empty tables behind, which would make the corrected re-run fail with "already exist".
    /// </summary>
    [Theory]
    [InlineData("file")]
    [InlineData("dump")]
    public void A_missing_source_is_a_usage_error_that_creates_nothing(string kind)
    {
        string schema = _schemas.New("src_missing_" + kind);
        if (kind == "file")
        {
            Etlfast.Load(_dir.File("nope.bson"), SeedData.Mapping, schema).Fails(2, "nope.bson", "does not exist");
        }
        else
        {
            _dir.Write("dump/sample_db/other.bson", SeedData.Get(5, seed: 99).Bytes);
            Etlfast.Load(_dir.File("dump"), SeedData.Mapping, schema).Fails(2, "has no collection sample_db.users", "sample_db.other");
        }
        using NpgsqlConnection conn = TestPg.Open();
        Assert.True(PgTable.Tables(conn, schema).Count == 0,
            $"a load refused for its source left tables behind: {string.Join(", ", PgTable.Tables(conn, schema))}");
    }
}
