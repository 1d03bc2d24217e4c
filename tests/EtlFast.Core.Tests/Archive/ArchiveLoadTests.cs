using EtlFast.Core.Sources.Archive;
using EtlFast.Core.Tests.Faults;
using EtlFast.Core.Tests.Load;
using EtlFast.Core.Tests.TestSupport;
using Npgsql;

namespace EtlFast.Core.Tests.Archive;

/// <summary>
/// A mongodump archive (mongodump --archive[=FILE] [--gzip]) is read as its selected namespace: the
/// same users loaded from an archive, a gzipped archive and an archive on standard input give exactly
/// the tables a load of the same users from a .bson file gives; the namespace is chosen by database and
/// collection, and a wrong choice is refused (exit 2) naming what the archive holds, with nothing written.
/// </summary>
public sealed class ArchiveLoadTests : IDisposable
{
    private const int Users = 700;
    private readonly Schemas _schemas = new();
    private readonly ScratchDir _dir = new("etlfast-archive-");

    public void Dispose()
    {
        _schemas.Dispose();
        _dir.Dispose();
    }

    private static SeedData Data => SeedData.Get(Users, seed: 4242);

    private static SeedData Decoy => SeedData.Get(40, seed: 99);

    private static SeedArchive Interleaved(string decoyDb = "other_db", string decoyCollection = "users") =>
        SeedArchive.Write(Data.Bytes, Decoy.Bytes, ("sample_db", "users"), (decoyDb, decoyCollection));

    /// <summary>The seed mapping without its "database", so only the collection name selects.</summary>
    private string MappingWithoutDatabase() =>
        _dir.Write("no-db.json", File.ReadAllText(SeedData.Mapping).Replace("\"database\": \"sample_db\",", "", StringComparison.Ordinal));

    [Theory]
    [InlineData("file")]
    [InlineData("gz")]
    [InlineData("stdin")]
    [InlineData("stdin-gz")]
    public void An_interleaved_archive_gives_the_same_tables_as_the_bson_file(string kind)
    {
        SeedArchive archive = Interleaved();
        Assert.True(archive.UsersBlocks > 20, $"the users must be spread over many blocks between decoy blocks, not {archive.UsersBlocks}");
        string reference = _schemas.New("arc_ref_" + kind);
        Etlfast.Load(Data.BsonPath, SeedData.Mapping, reference, "-j", "2", "--chunk-size", "1").Ok();
        string schema = _schemas.New("arc_" + kind);

        CliResult r = kind switch
        {
            "file" => Etlfast.Load(_dir.Write("users.archive", archive.Bytes), SeedData.Mapping, schema, "-j", "2", "--chunk-size", "1"),
            "gz" => Etlfast.Load(_dir.Write("users.archive.gz", SeedArchive.Gzip(archive.Bytes)), SeedData.Mapping, schema, "-j", "2", "--chunk-size", "1"),
            "stdin-gz" => Etlfast.LoadStdin(() => new MemoryStream(SeedArchive.Gzip(archive.Bytes)), SeedData.Mapping, schema, "-j", "2", "--chunk-size", "1"),
            _ => Etlfast.LoadStdin(() => new MemoryStream(archive.Bytes), SeedData.Mapping, schema, "-j", "2", "--chunk-size", "1"),
        };

        r.Ok();
        Assert.Contains($"loaded {Users:N0} documents", r.Err);
        Assert.True(r.Chunks >= 3, $"700 seed users in 1 MiB chunks are several chunks\n{r}");
        using NpgsqlConnection conn = TestPg.Open();
        SchemaCompare.Equal(conn, reference, schema);
    }

    [Fact]
    public void Db_flag_picks_the_other_database_of_the_same_collection_name()
    {
        string schema = _schemas.New("arc_db");
        Etlfast.Load(_dir.Write("two.archive", Interleaved().Bytes), SeedData.Mapping, schema, "-d", "other_db").Ok();
        using NpgsqlConnection conn = TestPg.Open();
        SeedData.AssertLoaded(conn, schema, Decoy.Tables);
    }

    [Fact]
    public void Without_a_database_a_collection_name_unique_in_the_archive_is_taken()
    {
        string schema = _schemas.New("arc_unique");
        string path = _dir.Write("unique.archive", Interleaved("sample_db", "logs").Bytes);
        Etlfast.Load(path, MappingWithoutDatabase(), schema).Ok();
        using NpgsqlConnection conn = TestPg.Open();
        SeedData.AssertLoaded(conn, schema, Data.Tables);
    }

    [Fact]
    public void Without_a_database_a_collection_name_in_two_databases_is_refused_listing_both()
    {
        string schema = _schemas.New("arc_ambiguous");
        string path = _dir.Write("ambiguous.archive", Interleaved().Bytes);
        Etlfast.Load(path, MappingWithoutDatabase(), schema)
            .Fails(2, $"mongodump archive {path} holds collection \"users\" in several databases: sample_db.users, other_db.users", "-d/--db");
        AssertNothingWritten(schema);
    }

    [Fact]
    public void A_namespace_not_in_the_archive_is_refused_listing_what_it_holds()
    {
        string schema = _schemas.New("arc_missing");
        string path = _dir.Write("missing.archive", Interleaved().Bytes);
        Etlfast.Load(path, SeedData.Mapping, schema, "-c", "people")
            .Fails(2, $"mongodump archive {path} has no namespace sample_db.people; it holds: sample_db.users, other_db.users");
        AssertNothingWritten(schema);
    }

    [Theory]
    [InlineData("view", "sample_db.active_users in {0} is a view on sample_db.users, it holds no documents")]
    [InlineData("timeseries", "sample_db.readings in {0} is a time-series collection: loading time-series collections is not supported yet")]
    public void A_view_or_time_series_namespace_is_refused_saying_what_it_is(string kind, string message)
    {
        ArchiveNamespace[] extra =
        [
            new("sample_db", "active_users", ArchiveNamespaceKind.View, "users"),
            new("sample_db", "readings", ArchiveNamespaceKind.TimeSeries, null),
        ];
        string path = _dir.Write($"{kind}.archive", SeedArchive.Write(Data.Bytes, Decoy.Bytes, ("sample_db", "users"), ("other_db", "users"), extra).Bytes);
        string schema = _schemas.New("arc_" + kind);
        Etlfast.Load(path, SeedData.Mapping, schema, "-c", kind == "view" ? "active_users" : "readings")
            .Fails(2, string.Format(System.Globalization.CultureInfo.InvariantCulture, message, path));
        AssertNothingWritten(schema);
    }

    [Fact]
    public void Infer_from_an_archive_proposes_the_mapping_it_proposes_from_the_bson_file()
    {
        string path = _dir.Write("infer.archive", Interleaved().Bytes);
        string fromBson = _dir.File("bson.mapping.json"), fromArchive = _dir.File("archive.mapping.json");
        Etlfast.Run(["infer", "--from", Data.BsonPath, "-d", "sample_db", "-c", "users", "-o", fromBson]).Ok();
        Etlfast.Run(["infer", "--from", path, "-d", "sample_db", "-c", "users", "-o", fromArchive]).Ok();
        Assert.Equal(Normalize(File.ReadAllText(fromBson), Data.BsonPath), Normalize(File.ReadAllText(fromArchive), path));

        static string Normalize(string mapping, string source) => mapping.Replace(source, "SOURCE", StringComparison.Ordinal);
    }

    [Fact]
    public void Infer_given_only_the_collection_writes_the_database_it_found_into_the_mapping()
    {
        // users is unique in this archive, so -c alone selects sample_db.users; the mapping must say so, or a
        // later archive that also holds other_db.users would make the same mapping ambiguous.
        string path = _dir.Write("infer-c.archive", Interleaved("other_db", "logs").Bytes);
        CliResult r = Etlfast.Run(["infer", "--from", path, "-c", "users"]).Ok();
        Assert.Contains("\"database\": \"sample_db\"", r.Out);
    }

    private static void AssertNothingWritten(string schema)
    {
        using NpgsqlConnection conn = TestPg.Open();
        Assert.True(PgTable.Tables(conn, schema).Count == 0, $"a load refused for its source left tables behind: {string.Join(", ", PgTable.Tables(conn, schema))}");
    }
}
