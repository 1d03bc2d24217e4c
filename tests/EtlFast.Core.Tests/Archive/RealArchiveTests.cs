using EtlFast.Core.Inference;
using EtlFast.Core.Sources.Archive;
using EtlFast.Core.Tests.Faults;
using EtlFast.Core.Tests.Load;
using EtlFast.Core.Tests.TestSupport;
using MongoDB.Bson;
using Npgsql;

namespace EtlFast.Core.Tests.Archive;

/// <summary>
/// Archives written by mongodump itself (mongo-tools' testdata, see Fixtures/mongo-tools/README.md), not
/// by our writer: their prelude reads as what it lists, their CRCs check, a time-series namespace is
/// refused plainly, and a plain collection loads as an independent decoding of the same archive.
/// </summary>
public sealed class RealArchiveTests : IDisposable
{
    private static readonly string TimeSeries = RepoRoot.File("tests", "EtlFast.Core.Tests", "Fixtures", "mongo-tools", "timeseries_dump.archive");
    private static readonly string WithOplog = RepoRoot.File("tests", "EtlFast.Core.Tests", "Fixtures", "mongo-tools", "dump-w-oplog.archive");
    private static readonly string FooBson = RepoRoot.File("tests", "EtlFast.Core.Tests", "Fixtures", "mongo-tools", "dump-w-oplog.test.foo.bson");

    private readonly Schemas _schemas = new();
    private readonly ScratchDir _dir = new("etlfast-real-archive-");

    public void Dispose()
    {
        _schemas.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void The_prelude_of_a_mongodump_time_series_archive_lists_its_namespaces_and_their_kinds()
    {
        using FileStream file = File.OpenRead(TimeSeries);
        IReadOnlyList<ArchiveNamespace> namespaces = MongodumpArchive.ReadNamespaces(file, TimeSeries);
        Assert.Equal(
            [
                new ArchiveNamespace("admin", "system.views", ArchiveNamespaceKind.System, null),
                new ArchiveNamespace("timeseries_test", "foo_ts", ArchiveNamespaceKind.TimeSeries, null),
                new ArchiveNamespace("admin", "system.version", ArchiveNamespaceKind.System, null),
            ],
            namespaces.Select(n => n with { Metadata = null }));
        // Each carries the metadata.json mongodump wrote for it, whose indexes infer reads.
        Assert.Equal(["meta.device_1 (meta.device)", "ts_1_meta.device_1 (ts, meta.device)"],
            SourceIndexes.FromMetadata(namespaces[1].Metadata).Select(i => $"{i.Name} ({string.Join(", ", i.Fields)})"));
    }

    [Fact]
    public void A_namespace_read_past_the_time_series_buckets_passes_its_crc_and_holds_its_one_document()
    {
        // admin.system.version's blocks come first; its EOF block carries the CRC mongodump computed.
        using Stream docs = MongodumpArchive.SelectIfArchive(File.OpenRead(TimeSeries), TimeSeries, false, "admin", "system.version", drainAtEnd: true);
        using var copy = new MemoryStream();
        docs.CopyTo(copy);
        List<BsonDocument> read = BsonFile.Decode(copy.ToArray());
        Assert.Equal([new BsonDocument { { "_id", "featureCompatibilityVersion" }, { "version", "5.0" } }], read);
    }

    [Fact]
    public void Loading_its_time_series_namespace_is_refused_plainly_and_writes_nothing()
    {
        string schema = _schemas.New("real_ts");
        Etlfast.Load(TimeSeries, SeedData.Mapping, schema, "-d", "timeseries_test", "-c", "foo_ts")
            .Fails(2, $"timeseries_test.foo_ts in {TimeSeries} is a time-series collection: loading time-series collections is not supported yet",
                "timeseries_test.system.buckets.foo_ts");
        using NpgsqlConnection conn = TestPg.Open();
        Assert.Empty(PgTable.Tables(conn, schema));
    }

    [Fact]
    public void A_missing_collection_is_refused_listing_the_namespaces_with_their_kinds()
    {
        string schema = _schemas.New("real_missing");
        Etlfast.Load(TimeSeries, SeedData.Mapping, schema, "-c", "users")
            .Fails(2, $"mongodump archive {TimeSeries} has no namespace sample_db.users; it holds: "
                + "admin.system.views (system collection), timeseries_test.foo_ts (time-series), admin.system.version (system collection)");
    }

    [Fact]
    public void A_plain_collection_of_a_mongodump_archive_loads_as_its_independent_decoding()
    {
        string mapping = _dir.File("foo.json");
        Etlfast.Run(["infer", "--from", WithOplog, "-d", "test", "-c", "foo", "-o", mapping]).Ok();
        string fromArchive = _schemas.New("real_foo_archive"), fromBson = _schemas.New("real_foo_bson");

        Etlfast.Load(WithOplog, mapping, fromArchive).Ok();
        Etlfast.Load(FooBson, mapping, fromBson).Ok();

        using NpgsqlConnection conn = TestPg.Open();
        SchemaCompare.Equal(conn, fromBson, fromArchive);
        Assert.Equal(Enumerable.Range(1, 25).Select(i => (long)i).ToList(), IntColumn(conn, fromArchive, "foo", "a"));
    }

    private static List<long> IntColumn(NpgsqlConnection conn, string schema, string table, string column)
    {
        using var cmd = new NpgsqlCommand($"SELECT {column} FROM {TestPg.Qualify(schema, table)} ORDER BY {column}", conn);
        using NpgsqlDataReader reader = cmd.ExecuteReader();
        var values = new List<long>();
        while (reader.Read())
        {
            values.Add(Convert.ToInt64(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture));
        }
        return values;
    }
}
