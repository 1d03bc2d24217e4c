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
}
