using System.Globalization;
using EtlFast.Core.Tests.Faults;
using EtlFast.Core.Tests.Generation;
using EtlFast.Core.Tests.TestSupport;
using MongoDB.Bson;
using Npgsql;

namespace EtlFast.Core.Tests.Load;

/// <summary>
/// Whole-database loads: <c>etlfast gen app</c>'s five collections loaded with examples/app/ in one
/// command, checked against the dump decoded by MongoDB.Bson (not by etlfast), from the directory and
/// from the archive; the selection flags; and every refusal, each before anything is written.
/// </summary>
public sealed class DatabaseLoadTests : IDisposable
{
    private const int Orders = 1500;
    private readonly Schemas _schemas = new();
    private readonly ScratchDir _dir = new("etlfast-dbload-");

    public void Dispose()
    {
        _schemas.Dispose();
        _dir.Dispose();
    }

    private static string Mappings => RepoRoot.File("examples", "app");

    private string Dump()
    {
        string dir = _dir.File("dump");
        if (!Directory.Exists(dir))
        {
            Etlfast.Run(["gen", "app", "-n", $"{Orders}", "-q", "-o", dir]).Ok();
        }
        return dir;
    }

    private List<BsonDocument> Documents(string collection) =>
        GeneratedBson.Decode(File.ReadAllBytes(Path.Combine(Dump(), "app_db", $"{collection}.bson")));

    private static List<string> Column(NpgsqlConnection conn, string schema, string table, string expression)
    {
        var values = new List<string>();
        using var cmd = new NpgsqlCommand($"SELECT ({expression})::text FROM {TestPg.Qualify(schema, table)}", conn);
        using NpgsqlDataReader r = cmd.ExecuteReader();
        while (r.Read())
        {
            values.Add(r.IsDBNull(0) ? "NULL" : r.GetString(0));
        }
        values.Sort(StringComparer.Ordinal);
        return values;
    }

    private static List<string> Sorted(IEnumerable<string> values) => [.. values.Order(StringComparer.Ordinal)];

    private static string Money(BsonValue v) => v.BsonType switch
    {
        BsonType.Double => v.AsDouble.ToString("0.00", CultureInfo.InvariantCulture),
        BsonType.Decimal128 => decimal.Parse(v.AsDecimal128.ToString(), CultureInfo.InvariantCulture).ToString("0.00", CultureInfo.InvariantCulture),
        _ => v.ToInt32().ToString("0.00", CultureInfo.InvariantCulture),
    };

    [Fact]
    public void Every_collection_of_a_dump_directory_loads_into_its_tables_with_keys_across_collections()
    {
        string schema = _schemas.New("db_dir");
        CliResult r = Etlfast.Run(["load", "--to", TestPg.ConnectionString, "--from", Dump(), "-m", Mappings, "--schema", schema, "--chunk-size", "1"]).Ok();
        Assert.Contains("app_db.big_orders is a view on app_db.orders: skipped", r.Err, StringComparison.Ordinal);
        Assert.Contains("collection app_db.orders: ", r.Err, StringComparison.Ordinal);
        Assert.Contains("5 collections", r.Err, StringComparison.Ordinal);

        using NpgsqlConnection conn = TestPg.Open();
        List<BsonDocument> customers = Documents("customers"), products = Documents("products"), orders = Documents("orders");
        List<BsonDocument> reviews = Documents("reviews"), audit = Documents("audit_log");
        Assert.Equal(Sorted(customers.Select(c => c["_id"].AsObjectId.ToString())), Column(conn, schema, "customers", "id"));
        Assert.Equal(Sorted(customers.Select(c => c["email"].AsString)), Column(conn, schema, "customers", "email"));
        Assert.Equal(Sorted(customers.SelectMany(c => c["tags"].AsBsonArray.Select((t, i) => $"{c["_id"].AsObjectId}/{i}/{t.AsString}"))),
            Column(conn, schema, "customer_tags", "customer_id || '/' || position || '/' || tag"));
        Assert.Equal(Sorted(products.Select(p => $"{p["_id"].AsString} {Money(p["price"])}")), Column(conn, schema, "products", "id || ' ' || price"));
        Assert.Equal(Sorted(orders.Select(o => $"{o["_id"].AsInt64} {o["customerId"].AsObjectId}")), Column(conn, schema, "orders", "id || ' ' || customer_id"));
        Assert.Equal(Sorted(orders.SelectMany(o => o["items"].AsBsonArray.Select((item, i) =>
                $"{o["_id"].AsInt64}/{i}/{item["sku"].AsString}/{item["qty"].AsInt32}/{Money(item["unitPrice"])}/{(item.AsBsonDocument.Contains("discount") ? item["discount"].ToDouble().ToString("0.00", CultureInfo.InvariantCulture) : "NULL")}"))),
            Column(conn, schema, "order_items", "order_id || '/' || line || '/' || sku || '/' || qty || '/' || unit_price || '/' || coalesce(discount::text, 'NULL')"));
        Assert.Equal(Sorted(reviews.Select(v => $"{v["_id"].AsObjectId} {v["rating"].ToDouble().ToString("0.0", CultureInfo.InvariantCulture)}")),
            Column(conn, schema, "reviews", "id || ' ' || rating"));
        Assert.Equal(audit.Count, PgTable.Count(conn, schema, "audit_log"));

        // The foreign keys across collections exist, and so PostgreSQL vouches that every reference resolves.
        List<string> keys = PgConstraints.Keys(conn, schema);
        Assert.Contains("FK orders(customer_id) -> customers(id)", keys);
        Assert.Contains("FK order_items(sku) -> products(id)", keys);
        Assert.Contains("FK order_items(order_id) -> orders(id)", keys);
        Assert.Contains("FK reviews(product_id) -> products(id)", keys);
        Assert.Contains("FK reviews(customer_id) -> customers(id)", keys);
    }

    [Theory]
    [InlineData("app.archive")]
    [InlineData("app.archive.gz")]
    public void An_archive_of_the_database_loads_to_the_same_tables_as_the_directory(string name)
    {
        string archive = _dir.File(name);
        Etlfast.Run(["gen", "app", "-n", $"{Orders}", "-q", "-o", archive]).Ok();
        string fromDir = _schemas.New("db_ref"), fromArchive = _schemas.New("db_arch");
        Etlfast.Run(["load", "--to", TestPg.ConnectionString, "--from", Dump(), "-m", Mappings, "--schema", fromDir, "-q"]).Ok();
        Etlfast.Run(["load", "--to", TestPg.ConnectionString, "--from", archive, "-m", Mappings, "--schema", fromArchive, "-q"]).Ok();
        using NpgsqlConnection conn = TestPg.Open();
        SchemaCompare.Equal(conn, fromDir, fromArchive);
    }

    [Theory]
    [InlineData(LiveSource.ServerKind.Wire)]
    [InlineData(LiveSource.ServerKind.Jongodb)]
    public async Task Every_collection_of_a_live_database_loads_to_the_same_tables_as_its_dump(LiveSource.ServerKind kind)
    {
        string[] names = ["customers", "products", "orders", "reviews", "audit_log"];
        await using LiveSource.LiveServer server = await LiveSource.LiveKit.Serve(kind, "app_db", names.Select(n => (n, (IEnumerable<BsonDocument>)Documents(n))));
        string fromDump = _schemas.New("db_dump"), live = _schemas.New("db_live");
        Etlfast.Run(["load", "--to", TestPg.ConnectionString, "--from", Dump(), "-m", Mappings, "--schema", fromDump, "-q"]).Ok();
        // The URI names no database: the mappings' (app_db) is listed.
        CliResult r = Etlfast.Run(["load", "--to", TestPg.ConnectionString, "--from", server.Uri, "-m", Mappings, "--schema", live]).Ok();
        using NpgsqlConnection conn = TestPg.Open();
        SchemaCompare.Equal(conn, fromDump, live);
        if (kind == LiveSource.ServerKind.Jongodb)
        {
            // It has no listCollections: the mappings' collections are loaded, and the run says why no more can be.
            Assert.Contains("does not implement the listCollections command: loading the collections the mappings name", r.Err, StringComparison.Ordinal);
            return;
        }

        // A mapping for a collection the server lacks is refused before anything is written, the server named by its hosts.
        string wishlists = Mapping("wishlists.json", "wishlists", """{"name": "wishlists", "columns": [{"name": "id", "type": "text", "from": "_id"}]}""");
        string refused = _schemas.New("db_live_x");
        Etlfast.Run(["load", "--to", TestPg.ConnectionString, "--from", server.Uri, "-m", Mappings, "-m", wishlists, "--schema", refused])
            .Fails(2, "names collection app_db.wishlists, which mongodb://127.0.0.1:", "does not hold; it holds: app_db.audit_log, app_db.customers");
        Assert.Empty(PgTable.Tables(conn, refused));
    }

    [Fact]
    public void Infer_writes_one_mapping_per_collection_that_a_whole_database_load_takes()
    {
        string dir = _dir.File("inferred");
        CliResult r = Etlfast.Run(["infer", "--from", Dump(), "-o", dir + "/"]).Ok();
        Assert.Contains("app_db.big_orders is a view on app_db.orders: skipped", r.Err, StringComparison.Ordinal);
        string[] names = ["audit_log", "customers", "orders", "products", "reviews"];
        Assert.Equal(names.Select(n => n + ".json"), Directory.GetFiles(dir).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal));

        string schema = _schemas.New("db_inf");
        Etlfast.Run(["load", "--to", TestPg.ConnectionString, "--from", Dump(), "-m", dir, "--schema", schema, "-q"]).Ok();
        using NpgsqlConnection conn = TestPg.Open();
        foreach (string name in names)
        {
            Assert.Equal((long)Documents(name).Count, TestPg.Scalar(conn, $"SELECT count(*) FROM {TestPg.Qualify(schema, name)}"));
        }
        // The indexes of the dump's metadata.json are proposed, and so built: customers' unique email, orders' two.
        string Indexes(string table) => (string)TestPg.Scalar(conn,
            $"SELECT string_agg(regexp_replace(indexdef, ' ON .* USING btree', ''), '; ' ORDER BY indexdef) FROM pg_indexes WHERE schemaname = '{schema}' AND tablename = '{table}' AND indexname NOT LIKE '%pkey'")!;
        Assert.Matches(@"^CREATE UNIQUE INDEX \S+ \(email\)$", Indexes("customers"));
        Assert.Matches(@"^CREATE INDEX \S+ \(created_at\); CREATE INDEX \S+ \(customer_id\)$", Indexes("orders"));

        // -o DIR with -c, or for a source of one collection, is refused.
        Etlfast.Run(["infer", "--from", Dump(), "-c", "orders", "-o", dir]).Fails(2, "is a directory");
        Etlfast.Run(["infer", "--from", Path.Combine(Dump(), "app_db", "orders.bson"), "-o", dir]).Fails(2, "holds one collection");
    }

    [Fact]
    public void Infer_names_the_tables_of_two_collections_of_one_shape_apart()
    {
        // Two collections of seed users: each would get tables "address", "profile", ... of the same names.
        SeedData a = SeedData.Get(20, seed: 1), b = SeedData.Get(12, seed: 2);
        _dir.Write("twins/shop/users.bson", a.Bytes);
        _dir.Write("twins/shop/staff.bson", b.Bytes);
        string dir = _dir.File("twins-mappings");
        Etlfast.Run(["infer", "--from", _dir.File("twins"), "-o", dir + "/", "-q"]).Ok();

        string schema = _schemas.New("db_twins");
        Etlfast.Run(["load", "--to", TestPg.ConnectionString, "--from", _dir.File("twins"), "-m", dir, "--schema", schema, "-q"]).Ok();
        using NpgsqlConnection conn = TestPg.Open();
        Assert.Equal(30, PgTable.Tables(conn, schema).Count);
        // Inferred in name order: staff keeps the plain names, users' tables are named after it.
        Assert.Equal(12L, PgTable.Count(conn, schema, "address"));
        Assert.Equal(20L, PgTable.Count(conn, schema, "users_address"));
    }

    [Fact]
    public void Infer_loads_a_whole_database_without_mappings_and_keeps_them_to_load_it_again()
    {
        string schema = _schemas.New("db_infer");
        string summary = Path.Combine(_dir.File("run"), "summary.json");
        Directory.CreateDirectory(Path.GetDirectoryName(summary)!);
        CliResult r = Etlfast.Run(["load", "--to", TestPg.ConnectionString, "--from", Dump(), "--infer", "--schema", schema, "--summary-json", summary]).Ok();
        string dir = Path.Combine(_dir.File("run"), "inferred-mappings");
        string[] names = ["audit_log", "customers", "orders", "products", "reviews"];
        Assert.Equal(names.Select(n => $"app_db.{n}.json"), Directory.GetFiles(dir).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal));
        Assert.Contains($"etlfast: app_db.orders has no mapping: inferred 2 tables from the first 1,000 documents of", r.Err, StringComparison.Ordinal);
        using NpgsqlConnection conn = TestPg.Open();
        foreach (string name in names)
        {
            Assert.Equal((long)Documents(name).Count, PgTable.Count(conn, schema, name));
        }
        long items = Documents("orders").Sum(o => (long)o["items"].AsBsonArray.Count);
        Assert.Equal(items, PgTable.Count(conn, schema, "items"));

        // The kept mappings load the same tables; a second --infer run takes them as they are.
        string again = _schemas.New("db_infer_again");
        Etlfast.Run(["load", "--to", TestPg.ConnectionString, "--from", Dump(), "-m", dir, "--schema", again, "-q"]).Ok();
        Assert.Equal(PgTable.Tables(conn, schema), PgTable.Tables(conn, again));
        Assert.Equal(items, PgTable.Count(conn, again, "items"));
        CliResult rerun = Etlfast.Run(["load", "--to", TestPg.ConnectionString, "--from", Dump(), "--infer", "--schema", schema, "--mode", "clean", "--summary-json", summary]).Ok();
        Assert.Contains($"etlfast: app_db.orders has no mapping: using {Path.Combine(dir, "app_db.orders.json")}, inferred by an earlier run", rerun.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Infer_fills_in_only_the_collections_the_mappings_leave_out()
    {
        string schema = _schemas.New("db_infer_some");
        string work = _dir.File("work");
        Directory.CreateDirectory(work);
        CliResult r = Etlfast.Run(["load", "--to", TestPg.ConnectionString, "--from", Dump(), "-m", Path.Combine(Mappings, "audit_log.json"), "-m", Path.Combine(Mappings, "products.json"),
            "--infer", "--schema", schema, "--summary-json", Path.Combine(work, "s.json"), "-q"]).Ok();
        Assert.Equal(["app_db.customers.json", "app_db.orders.json", "app_db.reviews.json"],
            Directory.GetFiles(Path.Combine(work, "inferred-mappings")).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal));
        using NpgsqlConnection conn = TestPg.Open();
        // products and audit_log as examples/app maps them (price numeric, its own column names), the rest inferred.
        Assert.Equal(Sorted(Documents("products").Select(p => $"{p["_id"].AsString} {Money(p["price"])}")), Column(conn, schema, "products", "id || ' ' || price"));
        Assert.Equal((long)Documents("orders").Count, PgTable.Count(conn, schema, "orders"));

        Etlfast.Run(["load", "--to", TestPg.ConnectionString, "--from", Path.Combine(Dump(), "app_db", "orders.bson"), "--infer", "--schema", schema])
            .Fails(2, "holds one collection; several mappings and --infer need a mongodump directory", "etlfast infer --from SOURCE -o mapping.json");

        // An archive piped in cannot be read once per collection: the message says so and what to do instead.
        string piped = _dir.File("piped.archive");
        Etlfast.Run(["gen", "app", "-n", "50", "-q", "-o", piped]).Ok();
        byte[] archive = File.ReadAllBytes(piped);
        Etlfast.Run(["load", "--to", TestPg.ConnectionString, "--from", "-", "-m", Mappings, "--schema", schema], () => new MemoryStream(archive))
            .Fails(2, "standard input can be read only once, and a whole-database load reads an archive once per collection", "mongodump --archive=app.archive");
    }

    [Fact]
    public void Verify_checks_every_collection_of_the_set_and_names_the_one_that_differs()
    {
        string schema = _schemas.New("db_verify");
        string[] source = ["--to", TestPg.ConnectionString, "--from", Dump(), "-m", Mappings, "--schema", schema];
        CliResult load = Etlfast.Run(["load", .. source, "--verify"]).Ok();
        Assert.Contains("all 5 collections match their source", load.Out, StringComparison.Ordinal);

        CliResult ok = Etlfast.Run(["verify", .. source, "--sample", "5"]).Ok();
        foreach (string c in new[] { "audit_log", "customers", "orders", "products", "reviews" })
        {
            Assert.Contains($"== collection app_db.{c}\n", ok.Out.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        }
        Assert.Contains("sample: 5 documents", ok.Out, StringComparison.Ordinal);

        using (NpgsqlConnection conn = TestPg.Open())
        {
            TestPg.Execute(conn, $"DELETE FROM {TestPg.Qualify(schema, "order_items")} WHERE (order_id, line) = (SELECT order_id, line FROM {TestPg.Qualify(schema, "order_items")} LIMIT 1)");
        }
        CliResult bad = Etlfast.Run(["verify", .. source, "-q"]).Fails(4, "1 of 5 collections differ from their source: app_db.orders");
        Assert.Matches(@"order_items\s+\S+\s+\S+\s+DIFFERS", bad.Out);
    }

    [Fact]
    public void Partitions_of_collections_that_reference_each_other_are_refused_before_anything_is_written()
    {
        string schema = _schemas.New("db_part");
        Etlfast.Run(["load", "--to", TestPg.ConnectionString, "--from", Dump(), "-m", Mappings, "--schema", schema, "--partition", "0/2"])
            .Fails(2, "--partition cannot yet load collections whose tables reference another collection's: ", " -> customers", "load the whole database in one process");
        using (NpgsqlConnection conn = TestPg.Open())
        {
            Assert.Empty(PgTable.Tables(conn, schema));
        }
        // Collections that reference no other collection partition as a single one does.
        Etlfast.Run(["load", "--to", TestPg.ConnectionString, "--from", Dump(), "-m", Path.Combine(Mappings, "audit_log.json"), "-m", Path.Combine(Mappings, "products.json"),
            "--nsInclude", "app_db.audit_log", "--nsInclude", "app_db.products", "--schema", schema, "--partition", "0/1", "-q"]).Ok();
        using NpgsqlConnection check = TestPg.Open();
        Assert.Equal((long)Documents("products").Count, PgTable.Count(check, schema, "products"));
    }

    [Fact]
    public void A_collection_that_fails_is_named_with_the_load_s_own_error_and_exit_code()
    {
        Etlfast.Run(["load", "--to", "postgresql://postgres@127.0.0.1:1/postgres", "--from", Dump(), "-m", Mappings, "--schema", _schemas.New("db_down"), "-q"])
            .Fails(3, "collection app_db.", "could not connect to PostgreSQL at postgres@127.0.0.1:1/postgres");
    }

    [Fact]
    public void The_keys_of_every_collection_are_built_together_wave_by_wave()
    {
        string schema = _schemas.New("db_waves");
        CliResult r = Etlfast.Run(["load", "--to", TestPg.ConnectionString, "--from", Dump(), "-m", Mappings, "--schema", schema]).Ok();
        // One wave of each kind for the whole database (7 tables: 7 primary keys, 6 foreign keys, 5 indexes),
        // not one per collection: a small collection's builds run beside the large one's.
        string[] waves = [.. r.Err.Split('\n').Where(l => l.StartsWith("etlfast: building ", StringComparison.Ordinal)).Select(l => l.Trim())];
        Assert.Equal(["etlfast: building primary keys (7)", "etlfast: building unique indexes (1)", "etlfast: building foreign keys (6)", "etlfast: building indexes (5)"], waves);
        using NpgsqlConnection conn = TestPg.Open();
        List<string> keys = PgConstraints.Keys(conn, schema);
        Assert.Equal(13, keys.Count(k => k.StartsWith("PK ", StringComparison.Ordinal) || k.StartsWith("FK ", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_duplicate_key_found_while_building_every_collection_s_keys_names_its_collection()
    {
        // orders is neither the first collection loaded nor the first in key order (it references customers and products).
        string orders = Path.Combine(Dump(), "app_db", "orders.bson");
        byte[] bytes = File.ReadAllBytes(orders);
        int first = BitConverter.ToInt32(bytes, 0);
        File.WriteAllBytes(orders, [.. bytes, .. bytes.AsSpan(0, first)]);
        long repeated = Documents("orders")[0]["_id"].AsInt64;

        string schema = _schemas.New("db_dup");
        string[] load = ["load", "--to", TestPg.ConnectionString, "--from", Dump(), "-m", Mappings, "--schema", schema, "-q"];
        Etlfast.Run(load)
            .Fails(4, "collection app_db.orders: ", $"duplicate key in table \"orders\": id={repeated} comes from document _id {repeated} at byte offset 0 and document _id {repeated} at byte offset {bytes.Length}", "--resume --on-error reject");

        // As the hint says: the repeat is rejected from that collection's tables, every key of every collection is built.
        CliResult r = Etlfast.Run([.. load, "--resume", "--on-error", "reject", "--reject-dir", _dir.File("rejects")]);
        Assert.True(r.Exit == 1, $"exit {r.Exit}, expected 1 (finished with rejects)\n{r.Err}");
        List<BsonDocument> rejected = GeneratedBson.Decode(File.ReadAllBytes(Path.Combine(_dir.File("rejects"), "orders.rejects.bson")));
        Assert.Equal(repeated, Assert.Single(rejected)["_id"].AsInt64);
        using NpgsqlConnection conn = TestPg.Open();
        Assert.Equal(Orders, PgTable.Count(conn, schema, "orders"));
        Assert.Equal(13, PgConstraints.Keys(conn, schema).Count);
    }

    [Fact]
    public void NsExclude_leaves_a_collection_out_and_nsInclude_takes_only_what_matches()
    {
        string without = _schemas.New("db_excl"), only = _schemas.New("db_incl");
        Etlfast.Run(["load", "--to", TestPg.ConnectionString, "--from", Dump(), "-m", Mappings, "--schema", without, "--nsExclude", "app_db.audit_*", "-q"]).Ok();
        Etlfast.Run(["load", "--to", TestPg.ConnectionString, "--from", Dump(), "-m", Mappings, "--schema", only, "--nsInclude", "app_db.cust*", "--nsInclude", "app_db.products", "-q", "--summary-json", _dir.File("only.json")]).Ok();
        using (var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(_dir.File("only.json"))))
        {
            System.Text.Json.JsonElement root = summary.RootElement;
            Assert.Equal("ok", root.GetProperty("status").GetString());
            var loaded = root.GetProperty("collections").EnumerateArray().ToDictionary(c => c.GetProperty("namespace").GetString()!);
            Assert.Equal(["app_db.customers", "app_db.products"], loaded.Keys.Order(StringComparer.Ordinal));
            Assert.Equal(Documents("products").Count, loaded["app_db.products"].GetProperty("tables").GetProperty("products").GetProperty("rows").GetInt64());
        }
        using NpgsqlConnection conn = TestPg.Open();
        Assert.Equal(["customer_tags", "customers", "order_items", "orders", "products", "reviews"], PgTable.Tables(conn, without).Order(StringComparer.Ordinal));
        Assert.Equal(["customer_tags", "customers", "products"], PgTable.Tables(conn, only).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_collection_without_a_mapping_is_refused_up_front_with_the_list()
    {
        string schema = _schemas.New("db_unmapped");
        Etlfast.Run(["load", "--to", TestPg.ConnectionString, "--from", Dump(), "-m", Path.Combine(Mappings, "customers.json"), "-m", Path.Combine(Mappings, "products.json"), "--schema", schema])
            .Fails(2, "3 selected collections have no mapping: app_db.audit_log, app_db.orders, app_db.reviews", "--nsExclude");
        using NpgsqlConnection conn = TestPg.Open();
        Assert.Empty(PgTable.Tables(conn, schema));
    }

    private string Mapping(string file, string collection, string tables) =>
        _dir.Write(Path.Combine("m", file), $$"""{"database": "app_db", "collection": "{{collection}}", "tables": [{{tables}}]}""");

    private const string ProductsTable = """{"name": "products", "columns": [{"name": "id", "type": "text", "from": "_id"}], "primaryKey": ["id"]}""";

    [Fact]
    public void Mapping_set_errors_are_refused_before_anything_is_written()
    {
        string schema = _schemas.New("db_bad");
        string products = Mapping("products.json", "products", ProductsTable);
        string twice = Mapping("products2.json", "products", """{"name": "products2", "columns": [{"name": "id", "type": "text", "from": "_id"}]}""");
        Etlfast.Run(["load", "--to", TestPg.ConnectionString, "--from", Dump(), "-m", products, "-m", twice, "--schema", schema, "--nsInclude", "app_db.products"])
            .Fails(2, "collection app_db.products is mapped twice");

        string sameTable = Mapping("customers.json", "customers", ProductsTable);
        Etlfast.Run(["load", "--to", TestPg.ConnectionString, "--from", Dump(), "-m", products, "-m", sameTable, "--schema", schema, "--nsInclude", "app_db.products", "--nsInclude", "app_db.customers"])
            .Fails(2, "table \"products\" is also the table of collection app_db.products");

        string unknownRef = Mapping("reviews.json", "reviews", """{"name": "reviews", "columns": [{"name": "id", "type": "text", "from": "_id"}, {"name": "p", "type": "text", "from": "productId", "references": "prodcts.id"}]}""");
        Etlfast.Run(["load", "--to", TestPg.ConnectionString, "--from", Dump(), "-m", products, "-m", unknownRef, "--schema", schema, "--nsInclude", "app_db.products", "--nsInclude", "app_db.reviews"])
            .Fails(2, "names table \"prodcts\", which no mapping of the set defines", "did you mean \"products\"");

        string a = Mapping("a.json", "customers", """{"name": "c", "columns": [{"name": "id", "type": "text", "from": "_id"}, {"name": "r", "type": "text", "from": "email", "references": "r.id"}], "primaryKey": ["id"]}""");
        string b = Mapping("b.json", "reviews", """{"name": "r", "columns": [{"name": "id", "type": "text", "from": "_id"}, {"name": "c", "type": "text", "from": "customerId", "references": "c.id"}], "primaryKey": ["id"]}""");
        Etlfast.Run(["load", "--to", TestPg.ConnectionString, "--from", Dump(), "-m", a, "-m", b, "--schema", schema, "--nsInclude", "app_db.customers", "--nsInclude", "app_db.reviews"])
            .Fails(2, "reference each other in a cycle");

        string missing = Mapping("nope.json", "nope", """{"name": "nope", "columns": [{"name": "id", "type": "text", "from": "_id"}]}""");
        Etlfast.Run(["load", "--to", TestPg.ConnectionString, "--from", Dump(), "-m", products, "-m", missing, "--schema", schema, "--nsExclude", "app_db.customers", "--nsExclude", "app_db.orders", "--nsExclude", "app_db.reviews", "--nsExclude", "app_db.audit_log"])
            .Fails(2, "names collection app_db.nope, which", "does not hold");

        using NpgsqlConnection conn = TestPg.Open();
        Assert.Empty(PgTable.Tables(conn, schema));
    }

    [Fact]
    public void Dry_run_shows_the_plan_of_every_collection_and_writes_nothing()
    {
        string schema = _schemas.New("db_dry");
        CliResult r = Etlfast.Run(["load", "--to", TestPg.ConnectionString, "--from", Dump(), "-m", Mappings, "--schema", schema, "--dry-run"]).Ok();
        foreach (string c in new[] { "customers", "products", "orders", "reviews", "audit_log" })
        {
            Assert.Contains($"== collection app_db.{c} ", r.Out, StringComparison.Ordinal);
        }
        using NpgsqlConnection conn = TestPg.Open();
        Assert.Empty(PgTable.Tables(conn, schema));

        // With --infer, the plan shows the inferred mappings, and keeps none of them.
        string summary = Path.Combine(_dir.File("dry"), "s.json");
        Directory.CreateDirectory(_dir.File("dry"));
        CliResult inferred = Etlfast.Run(["load", "--to", TestPg.ConnectionString, "--from", Dump(), "-m", Path.Combine(Mappings, "products.json"), "--infer",
            "--schema", schema, "--dry-run", "--summary-json", summary]).Ok();
        Assert.Contains("etlfast: app_db.orders has no mapping: inferred 2 tables from", inferred.Err, StringComparison.Ordinal);
        Assert.Contains("not kept (--dry-run)", inferred.Err, StringComparison.Ordinal);
        Assert.Contains("== collection app_db.orders ", inferred.Out, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(_dir.File("dry")));
        Assert.Empty(PgTable.Tables(conn, schema));
    }

    [Fact]
    public void A_finished_whole_database_load_resumed_has_nothing_to_do()
    {
        string schema = _schemas.New("db_again");
        Etlfast.Run(["load", "--to", TestPg.ConnectionString, "--from", Dump(), "-m", Mappings, "--schema", schema, "-q"]).Ok();
        CliResult again = Etlfast.Run(["load", "--to", TestPg.ConnectionString, "--from", Dump(), "-m", Mappings, "--schema", schema, "--resume"]).Ok();
        Assert.Contains("collection app_db.orders: already loaded", again.Err, StringComparison.Ordinal);
    }
}
