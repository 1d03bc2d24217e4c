using System.Text;
using EtlFast.Core.Tests.TestSupport;
using Npgsql;

namespace EtlFast.Core.Tests.Load;

/// <summary>
/// Which file of a mongodump directory a load or an infer reads, and what it says when the dump does not
/// hold what the mapping names: another database's collection of the same name is never taken.
/// </summary>
public sealed class DumpDirectoryTests : IDisposable
{
    private readonly Schemas _schemas = new();
    private readonly ScratchDir _dir = new("etlfast-dumpdir-");

    public void Dispose()
    {
        _schemas.Dispose();
        _dir.Dispose();
    }

    private static string MetadataOf(string collection, string type = "collection", string options = "{}") =>
        $$"""{"options":{{options}},"indexes":[],"uuid":"3b241101e2bb42558caf4136c566a962","collectionName":"{{collection}}","type":"{{type}}"}""";

    /// <summary>The seed mapping without its "database", as a user who leaves it out writes it.</summary>
    private string MappingWithoutDatabase()
    {
        string text = File.ReadAllText(SeedData.Mapping);
        Assert.Contains("\"database\": \"sample_db\",", text);
        return _dir.Write("no-db.json", text.Replace("\"database\": \"sample_db\",", ""));
    }

    private static void AssertNoTables(string schema)
    {
        using NpgsqlConnection conn = TestPg.Open();
        Assert.True(PgTable.Tables(conn, schema).Count == 0, $"a refused load left tables: {string.Join(", ", PgTable.Tables(conn, schema))}");
    }

    [Fact]
    public void A_database_the_dump_lacks_is_refused_instead_of_loading_another_databases_collection()
    {
        _dir.Write("dump/other_db/users.bson", SeedData.Get(5, seed: 99).Bytes);
        _dir.Write("dump/other_db/users.metadata.json", MetadataOf("users"));
        string schema = _schemas.New("dump_wrong_db");

        Etlfast.Load(_dir.File("dump"), SeedData.Mapping, schema)
            .Fails(2, "has no collection sample_db.users", "it holds other_db.users", "\"database\" in the mapping", "-d/--db");
        AssertNoTables(schema);

        // Naming the database that holds it loads it.
        Etlfast.Load(_dir.File("dump"), SeedData.Mapping, schema, "-d", "other_db").Ok();
        using NpgsqlConnection conn = TestPg.Open();
        SeedData.AssertLoaded(conn, schema, SeedData.Get(5, seed: 99).Tables);
    }

    [Fact]
    public void A_collection_in_several_databases_needs_its_database_and_each_command_says_how()
    {
        _dir.Write("dump/a/users.bson", SeedData.Get(5, seed: 1).Bytes);
        _dir.Write("dump/b/users.bson", SeedData.Get(5, seed: 2).Bytes);
        string schema = _schemas.New("dump_ambiguous");

        Etlfast.Load(_dir.File("dump"), MappingWithoutDatabase(), schema)
            .Fails(2, "holds collection \"users\" in 2 databases: a.users, b.users", "set \"database\" in the mapping");
        AssertNoTables(schema);

        CliResult infer = Etlfast.Run(["infer", "--from", _dir.File("dump"), "-c", "users"])
            .Fails(2, "in 2 databases: a.users, b.users", "-d/--db");
        Assert.DoesNotContain("mapping", infer.Err.Split('\n').Single(l => l.StartsWith("Hint:", StringComparison.Ordinal)));

        Etlfast.Run(["infer", "--from", _dir.File("dump"), "-c", "users", "-d", "b"]).Ok();
        Etlfast.Load(_dir.File("dump"), MappingWithoutDatabase(), schema, "-d", "b").Ok();
        using NpgsqlConnection conn = TestPg.Open();
        SeedData.AssertLoaded(conn, schema, SeedData.Get(5, seed: 2).Tables);
    }

    [Fact]
    public void A_resume_with_another_database_of_the_same_dump_is_not_taken_for_the_finished_load()
    {
        _dir.Write("dump/a/users.bson", SeedData.Get(5, seed: 1).Bytes);
        _dir.Write("dump/b/users.bson", SeedData.Get(7, seed: 2).Bytes);
        string mapping = MappingWithoutDatabase();
        string schema = _schemas.New("dump_ns_identity");
        Etlfast.Load(_dir.File("dump"), mapping, schema, "-d", "a").Ok();

        // Same directory, same mapping, same schema: only -d tells the two loads apart. b's load must not be
        // "nothing to do" on the strength of a's checkpoints, and must not mix b's rows into a's tables.
        CliResult r = Etlfast.Load(_dir.File("dump"), mapping, schema, "-d", "b", "--resume", "--mode", "clean").Ok();
        Assert.DoesNotContain("nothing to do", r.Out + r.Err);
        using NpgsqlConnection conn = TestPg.Open();
        SeedData.AssertLoaded(conn, schema, SeedData.Get(7, seed: 2).Tables);

        // And b's own re-run is the finished load it is.
        CliResult again = Etlfast.Load(_dir.File("dump"), mapping, schema, "-d", "b", "--resume").Ok();
        Assert.Contains("nothing to do", again.Out + again.Err);
    }

    [Fact]
    public void Infer_without_a_collection_lists_the_dumps_collections_with_their_databases()
    {
        _dir.Write("dump/shop/orders.bson", SeedData.Get(3, seed: 1).Bytes);
        _dir.Write("dump/shop/users.bson", SeedData.Get(3, seed: 2).Bytes);
        _dir.Write("dump/crm/users.bson", SeedData.Get(3, seed: 3).Bytes);
        _dir.Write("dump/crm/active.metadata.json", MetadataOf("active", "view", """{"viewOn":"users","pipeline":[]}"""));

        Etlfast.Run(["infer", "--from", _dir.File("dump")])
            .Fails(2, "holds 3 collections: crm.users, shop.orders, shop.users", "-c/--collection");
        // Within one database, its only collection is the one meant (the view is not a collection).
        CliResult r = Etlfast.Run(["infer", "--from", _dir.File("dump"), "-d", "crm"]).Ok();
        Assert.Contains("\"collection\": \"users\"", r.Out);
        Assert.Contains("\"database\": \"crm\"", r.Out);
    }

    [Fact]
    public void Infer_given_only_the_collection_writes_the_database_of_its_folder()
    {
        _dir.Write("dump/shop/orders.bson", SeedData.Get(3, seed: 1).Bytes);
        _dir.Write("dump/crm/users.bson", SeedData.Get(3, seed: 3).Bytes);
        CliResult r = Etlfast.Run(["infer", "--from", _dir.File("dump"), "-c", "users"]).Ok();
        Assert.Contains("\"database\": \"crm\"", r.Out);
    }

    [Fact]
    public void Infer_proposes_the_indexes_of_the_metadata_that_postgres_can_have_and_names_the_others()
    {
        _dir.Write("dump/crm/users.bson", SeedData.Get(5, seed: 3).Bytes);
        _dir.Write("dump/crm/users.metadata.json", """
            {"options":{},"collectionName":"users","type":"collection","indexes":[
              {"v":{"$numberInt":"2"},"key":{"_id":{"$numberInt":"1"}},"name":"_id_"},
              {"v":{"$numberInt":"2"},"key":{"email":{"$numberInt":"1"}},"name":"email_1","unique":true},
              {"v":{"$numberInt":"2"},"key":{"username":{"$numberInt":"1"},"createdAt":{"$numberInt":"-1"}},"name":"name_created"},
              {"v":{"$numberInt":"2"},"key":{"bio":"text"},"name":"bio_text"},
              {"v":{"$numberInt":"2"},"key":{"username":{"$numberInt":"1"}},"name":"active_names","unique":true,"partialFilterExpression":{"active":true}},
              {"v":{"$numberInt":"2"},"key":{"messages.id":{"$numberInt":"1"}},"name":"message_ids"}
            ]}
            """);
        CliResult r = Etlfast.Run(["infer", "--from", _dir.File("dump"), "-q"]).Ok();
        Assert.Contains("\"indexes\": [{ \"columns\": [\"email\"], \"unique\": true }, [\"username\", \"created_at\"]]", r.Out);
        Assert.Contains("// MongoDB index bio_text on (bio): not proposed, a text index", r.Out);
        Assert.Contains("// MongoDB unique index active_names on (username): not proposed, a partial index (partialFilterExpression)", r.Out);
        Assert.Contains("// MongoDB index message_ids on (messages.id): not proposed, messages.id is not a column of users", r.Out);

        string schema = _schemas.New("dump_indexes");
        string mapping = _dir.Write("users-indexed.json", r.Out);
        Etlfast.Load(_dir.File("dump"), mapping, schema).Ok();
        using NpgsqlConnection conn = TestPg.Open();
        Assert.Equal(2L, TestPg.Scalar(conn, $"SELECT count(*) FROM pg_indexes WHERE schemaname = '{schema}' AND tablename = 'users' AND indexname NOT LIKE '%pkey'"));
    }

    [Fact]
    public void A_collection_dumped_both_plain_and_gzipped_is_refused_naming_both_files()
    {
        byte[] bytes = SeedData.Get(5, seed: 4).Bytes;
        _dir.Write("dump/sample_db/users.bson", bytes);
        _dir.Write("dump/sample_db/users.bson.gz", bytes);
        string schema = _schemas.New("dump_twice");

        Etlfast.Load(_dir.File("dump"), SeedData.Mapping, schema)
            .Fails(2, "sample_db.users is dumped twice", Path.Combine("sample_db", "users.bson"), Path.Combine("sample_db", "users.bson.gz"));
        AssertNoTables(schema);
    }

    [Fact]
    public void A_view_and_a_time_series_collection_are_named_for_what_they_are()
    {
        _dir.Write("dump/sample_db/users.metadata.json", MetadataOf("users", "view", """{"viewOn":"people","pipeline":[]}"""));
        _dir.Write("dump/ts_db/users.metadata.json", MetadataOf("users", "timeseries", """{"timeseries":{"timeField":"ts"}}"""));
        _dir.Write("dump/ts_db/system.buckets.users.bson", SeedData.Get(2, seed: 5).Bytes);
        string schema = _schemas.New("dump_view");

        Etlfast.Load(_dir.File("dump"), SeedData.Mapping, schema).Fails(2, "sample_db.users is a view on \"people\"", "no documents of its own");
        Etlfast.Load(_dir.File("dump"), SeedData.Mapping, schema, "-d", "ts_db").Fails(2, "ts_db.users is a time-series collection");
        AssertNoTables(schema);
    }

    [Fact]
    public void A_collection_whose_file_name_mongodump_escaped_is_found_by_its_real_name()
    {
        SeedData data = SeedData.Get(7, seed: 6);
        // mongodump percent-escapes characters it will not put in a file name, and keeps the real name in the metadata.
        _dir.Write("dump/sample_db/caf%C3%A9s.bson", data.Bytes);
        _dir.Write("dump/sample_db/caf%C3%A9s.metadata.json", Encoding.UTF8.GetBytes(MetadataOf("cafés")));
        string schema = _schemas.New("dump_escaped");

        Etlfast.Load(_dir.File("dump/sample_db"), SeedData.Mapping, schema, "-c", "cafés").Ok();
        using NpgsqlConnection conn = TestPg.Open();
        SeedData.AssertLoaded(conn, schema, data.Tables);
    }
}
