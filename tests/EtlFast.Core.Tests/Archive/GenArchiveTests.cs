using EtlFast.Core.Sources.Archive;
using EtlFast.Core.Tests.Load;
using EtlFast.Core.Tests.TestSupport;
using Npgsql;

namespace EtlFast.Core.Tests.Archive;

/// <summary><c>etlfast gen users -o FILE.archive[.gz]</c> writes a mongodump archive of sample_db.users that loads with the seed mapping.</summary>
public sealed class GenArchiveTests : IDisposable
{
    private const int Users = 300;
    private const ulong Seed = 77;
    private readonly Schemas _schemas = new();
    private readonly ScratchDir _dir = new("etlfast-gen-archive-");

    public void Dispose()
    {
        _schemas.Dispose();
        _dir.Dispose();
    }

    [Theory]
    [InlineData("users.archive")]
    [InlineData("users.archive.gz")]
    public void Gen_writes_an_archive_whose_namespace_holds_the_same_documents_as_the_bson(string name)
    {
        string archive = _dir.File(name), bson = _dir.File("users.bson");
        Etlfast.Run(["gen", "users", "-n", $"{Users}", "--seed", $"{Seed}", "-q", "-o", archive]).Ok();
        Etlfast.Run(["gen", "users", "-n", $"{Users}", "--seed", $"{Seed}", "-q", "-o", bson]).Ok();

        Stream file = File.OpenRead(archive);
        Stream plain = name.EndsWith(".gz", StringComparison.Ordinal) ? new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionMode.Decompress) : file;
        using Stream docs = MongodumpArchive.SelectIfArchive(plain, archive, false, "sample_db", "users", drainAtEnd: true);
        using var copy = new MemoryStream();
        docs.CopyTo(copy);
        Assert.Equal(File.ReadAllBytes(bson), copy.ToArray());
    }

    [Fact]
    public void A_generated_gzip_archive_loads_with_the_seed_mapping()
    {
        string archive = _dir.File("load.archive.gz");
        Etlfast.Run(["gen", "users", "-n", $"{Users}", "--seed", $"{Seed}", "-q", "-o", archive]).Ok();
        string schema = _schemas.New("gen_archive");

        Etlfast.Load(archive, SeedData.Mapping, schema).Ok();

        using NpgsqlConnection conn = TestPg.Open();
        SeedData.AssertLoaded(conn, schema, SeedData.Get(Users, Seed).Tables);
    }

    [Fact]
    public void Gen_help_says_which_namespace_an_archive_holds()
    {
        CliResult r = Etlfast.Run(["gen", "--help"]).Ok();
        Assert.Contains(".archive or .archive.gz is a mongodump archive", r.Out, StringComparison.Ordinal);
        Assert.Contains("sample_db.users", r.Out, StringComparison.Ordinal);
    }
}
