using System.IO.Compression;
using EtlFast.Core.Generation;
using EtlFast.Core.Sources;
using EtlFast.Core.Sources.Archive;
using EtlFast.Core.Tests.TestSupport;
using MongoDB.Bson;

namespace EtlFast.Core.Tests.Generation;

/// <summary>
/// <c>etlfast gen app</c>: the whole-database workload, as a dump directory and as an archive. Documents
/// are decoded by the MongoDB driver's BSON library, not by etlfast's reader.
/// </summary>
public sealed class AppDatabaseTests : IDisposable
{
    private const int Orders = 2000;
    private readonly ScratchDir _dir = new("etlfast-gen-app-");

    public void Dispose() => _dir.Dispose();

    private string Dump(string name = "dump", params string[] extra)
    {
        string dir = _dir.File(name);
        Etlfast.Run(["gen", "app", "-n", $"{Orders}", "-q", "-o", dir, .. extra]).Ok();
        return Path.Combine(dir, AppDatabaseGenerator.Database);
    }

    private static byte[] Read(string path)
    {
        using Stream file = File.OpenRead(path);
        using Stream data = path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var copy = new MemoryStream();
        data.CopyTo(copy);
        return copy.ToArray();
    }

    [Fact]
    public void A_dump_directory_holds_every_collection_with_its_metadata_and_the_view_as_metadata_only()
    {
        string db = Dump();
        DumpDirectory dump = DumpDirectory.Scan(Path.GetDirectoryName(db)!);
        Assert.Equal(
            ["app_db.audit_log", "app_db.big_orders", "app_db.customers", "app_db.orders", "app_db.products", "app_db.reviews"],
            dump.Namespaces.Select(c => c.Name).Order(StringComparer.Ordinal));
        Assert.Equal(5, dump.Collections.Count());
        DumpNamespace view = dump.Namespaces.Single(c => c.Collection == "big_orders");
        Assert.Equal(NamespaceKind.View, view.Kind);
        Assert.Equal("orders", view.ViewOn);
        Assert.Null(view.DataFile);
        foreach (AppCollection c in AppDatabaseGenerator.Collections)
        {
            List<BsonDocument> docs = GeneratedBson.Decode(File.ReadAllBytes(Path.Combine(db, $"{c.Name}.bson")));
            Assert.Equal(c.Count(Orders), docs.Count);
            Assert.Equal(docs.Count, docs.Select(d => d["_id"]).Distinct().Count());
            var metadata = BsonDocument.Parse(File.ReadAllText(Path.Combine(db, $"{c.Name}.metadata.json")));
            Assert.Equal(c.Name, metadata["collectionName"].AsString);
            Assert.Contains(metadata["indexes"].AsBsonArray, i => i["name"] == "_id_");
        }
        Assert.False(Directory.Exists(db + ".tmp"));
    }

    [Fact]
    public void References_resolve_id_types_differ_by_collection_and_fields_drift_in_type()
    {
        string db = Dump();
        Dictionary<string, List<BsonDocument>> all = AppDatabaseGenerator.Collections.ToDictionary(
            c => c.Name, c => GeneratedBson.Decode(File.ReadAllBytes(Path.Combine(db, $"{c.Name}.bson"))));
        var customers = all["customers"].Select(d => d["_id"]).ToHashSet();
        var products = all["products"].Select(d => d["_id"]).ToHashSet();

        Assert.All(all["orders"], o => Assert.Contains(o["customerId"], customers));
        Assert.All(all["orders"].SelectMany(o => o["items"].AsBsonArray), i => Assert.Contains(i["sku"], products));
        Assert.All(all["reviews"], r => Assert.Contains(r["productId"], products));
        Assert.All(all["reviews"], r => Assert.Contains(r["customerId"], customers));

        Assert.All(all["customers"], d => Assert.Equal(BsonType.ObjectId, d["_id"].BsonType));
        Assert.All(all["products"], d => Assert.Equal(BsonType.String, d["_id"].BsonType));
        Assert.All(all["orders"], d => Assert.Equal(BsonType.Int64, d["_id"].BsonType));

        static HashSet<BsonType> Types(IEnumerable<BsonDocument> docs, string field) =>
            docs.Where(d => d.Contains(field)).Select(d => d[field].BsonType).ToHashSet();
        Assert.Equal([BsonType.String, BsonType.Int64], Types(all["customers"], "phone"));
        Assert.Contains(all["customers"], d => !d.Contains("phone"));
        Assert.Equal([BsonType.Double, BsonType.Decimal128, BsonType.Int32], Types(all["products"], "price"));
        Assert.Equal([BsonType.Int32, BsonType.Double], Types(all["reviews"], "rating"));
        Assert.Equal([BsonType.String, BsonType.Null], Types(all["orders"], "notes"));
        Assert.Equal([BsonType.Int64, BsonType.ObjectId, BsonType.String],
            Types(all["audit_log"].Select(a => a["entity"].AsBsonDocument), "id"));
    }

    [Fact]
    public void Orders_hold_most_of_the_bytes()
    {
        string db = Dump();
        long orders = new FileInfo(Path.Combine(db, "orders.bson")).Length;
        long total = AppDatabaseGenerator.Collections.Sum(c => new FileInfo(Path.Combine(db, $"{c.Name}.bson")).Length);
        double share = (double)orders / total;
        Assert.InRange(share, 0.75, 0.92);
    }

    [Theory]
    [InlineData("app.archive")]
    [InlineData("app.archive.gz")]
    public void An_archive_holds_the_same_documents_as_the_directory_and_lists_the_view(string name)
    {
        string db = Dump();
        string archive = _dir.File(name);
        Etlfast.Run(["gen", "app", "-n", $"{Orders}", "-q", "-o", archive]).Ok();
        byte[] bytes = Read(archive);

        foreach (AppCollection c in AppDatabaseGenerator.Collections)
        {
            using Stream docs = MongodumpArchive.SelectIfArchive(new MemoryStream(bytes), archive, false, AppDatabaseGenerator.Database, c.Name, drainAtEnd: true);
            using var copy = new MemoryStream();
            docs.CopyTo(copy);
            Assert.Equal(File.ReadAllBytes(Path.Combine(db, $"{c.Name}.bson")), copy.ToArray());
        }
        var refused = Assert.ThrowsAny<Exception>(() =>
            MongodumpArchive.SelectIfArchive(new MemoryStream(bytes), archive, false, AppDatabaseGenerator.Database, AppDatabaseGenerator.ViewName, drainAtEnd: true));
        Assert.Contains("view", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Gzip_writes_every_file_compressed_with_the_same_content()
    {
        string plain = Dump("plain");
        string gz = Dump("gz", "--gzip");
        Assert.DoesNotContain(Directory.GetFiles(gz), f => !f.EndsWith(".gz", StringComparison.Ordinal));
        foreach (AppCollection c in AppDatabaseGenerator.Collections)
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(plain, $"{c.Name}.bson")), Read(Path.Combine(gz, $"{c.Name}.bson.gz")));
        }
        Assert.Equal(NamespaceKind.View, DumpDirectory.Scan(gz).Namespaces.Single(c => c.Collection == "big_orders").Kind);
    }

    [Fact]
    public void The_same_seed_gives_the_same_bytes_and_another_seed_others()
    {
        string a = Dump("a"), b = Dump("b"), c = _dir.File("c");
        Etlfast.Run(["gen", "app", "-n", $"{Orders}", "--seed", "5", "-q", "-o", c]).Ok();
        Assert.Equal(File.ReadAllBytes(Path.Combine(a, "orders.bson")), File.ReadAllBytes(Path.Combine(b, "orders.bson")));
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(a, "orders.bson")), File.ReadAllBytes(Path.Combine(c, "app_db", "orders.bson")));
    }

    [Fact]
    public void A_second_run_replaces_the_database_directory_whole()
    {
        string dir = _dir.File("again");
        Etlfast.Run(["gen", "app", "-n", "500", "-q", "-o", dir]).Ok();
        Etlfast.Run(["gen", "app", "-n", "40", "-q", "-o", dir]).Ok();
        List<BsonDocument> orders = GeneratedBson.Decode(File.ReadAllBytes(Path.Combine(dir, "app_db", "orders.bson")));
        Assert.Equal(40, orders.Count);
        Assert.Equal(["app_db"], Directory.GetDirectories(dir).Select(Path.GetFileName));
    }

    [Fact]
    public void Refuses_a_file_as_the_dump_directory_and_gzip_where_it_does_not_apply()
    {
        string file = _dir.File("taken");
        File.WriteAllText(file, "keep");
        CliResult onFile = Etlfast.Run(["gen", "app", "-n", "10", "-o", file]);
        Assert.Equal(2, onFile.Exit);
        Assert.Contains("is a file", onFile.Err, StringComparison.Ordinal);
        Assert.Equal("keep", File.ReadAllText(file));

        CliResult users = Etlfast.Run(["gen", "users", "-n", "10", "--gzip", "-o", _dir.File("u.bson")]);
        Assert.Equal(2, users.Exit);
        Assert.Contains("--gzip is for etlfast gen app", users.Err, StringComparison.Ordinal);
        Assert.False(File.Exists(_dir.File("u.bson")));

        CliResult unknown = Etlfast.Run(["gen", "shop", "-n", "10", "-o", _dir.File("x")]);
        Assert.Equal(2, unknown.Exit);
        Assert.Contains("\"app\"", unknown.Err, StringComparison.Ordinal);
    }
}
