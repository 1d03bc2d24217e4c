using EtlFast.Bson;
using EtlFast.Core.Load;
using EtlFast.Core.Mapping;
using EtlFast.Core.Plan;
using EtlFast.Core.Sync;
using EtlFast.Core.Tests.Faults;
using EtlFast.Core.Tests.Generation;
using EtlFast.Core.Tests.Load;
using EtlFast.Core.Tests.TestSupport;
using Npgsql;

namespace EtlFast.Core.Tests.Sync;

/// <summary>
/// Applying document changes to loaded tables: after a batch, every table equals a fresh load of the
/// collection's new state (EXCEPT ALL both ways), for the seed layout's 15 tables, child tables of
/// arrays and the table reached only through a foreign key (attachments) included.
/// </summary>
public sealed class ChangeApplierTests : IDisposable
{
    private const int Users = 40;
    private const ulong OtherSeed = 991;
    private readonly Schemas _schemas = new();
    private readonly ScratchDir _dir = new("etlfast-sync-apply-");

    public void Dispose()
    {
        _schemas.Dispose();
        _dir.Dispose();
    }

    private static byte[] Key(long id)
    {
        using var w = new BsonWriter();
        w.WriteStartDocument();
        w.WriteInt32("_id"u8, (int)id);
        w.WriteEndDocument();
        return w.WrittenSpan.ToArray();
    }

    /// <summary>A loaded schema of users 1..Users, and the applier over it.</summary>
    private (string Schema, ChangeApplier Applier, NpgsqlConnection Conn) Loaded(string name)
    {
        string schema = _schemas.New(name);
        string file = _dir.Write($"{name}.bson", GeneratedBson.Users(Users));
        Etlfast.Load(file, SeedData.Mapping, schema).Ok();
        LoadPlan plan = PlanCompiler.Compile(MappingParser.ParseFile(SeedData.Mapping), schema);
        var applier = new ChangeApplier(plan, "sample_db.users");
        NpgsqlConnection conn = TestPg.Open();
        SyncPositions.EnsureTable(conn);
        applier.Prepare(conn);
        return (schema, applier, conn);
    }

    /// <summary>A fresh load of the given documents: what the tables must equal after the changes.</summary>
    private string Expected(string name, IEnumerable<byte[]> documents)
    {
        string schema = _schemas.New(name);
        string file = _dir.Write($"{name}.bson", [.. documents.SelectMany(d => d)]);
        Etlfast.Load(file, SeedData.Mapping, schema).Ok();
        return schema;
    }

    /// <summary>
    /// The batch: user 3 replaced by a different document (other arrays, so other child rows), user 5
    /// deleted, user 41 inserted, user 7 changed twice (the last counts), user 42 inserted then deleted.
    /// </summary>
    private static ChangeBatch Batch()
    {
        var batch = new ChangeBatch();
        batch.Add(Key(3), GeneratedBson.User(3, OtherSeed));
        batch.Add(Key(5), null);
        batch.Add(Key(41), GeneratedBson.User(41));
        batch.Add(Key(7), GeneratedBson.User(7, OtherSeed + 1));
        batch.Add(Key(42), GeneratedBson.User(42));
        batch.Add(Key(7), GeneratedBson.User(7, OtherSeed));
        batch.Add(Key(42), null);
        return batch;
    }

    private static IEnumerable<byte[]> FinalState()
    {
        for (int id = 1; id <= 41; id++)
        {
            if (id == 5)
            {
                continue;
            }
            yield return id is 3 or 7 ? GeneratedBson.User(id, OtherSeed) : GeneratedBson.User(id);
        }
    }

    [Fact]
    public void A_batch_leaves_every_table_equal_to_a_fresh_load_of_the_new_state_and_stores_the_position()
    {
        (string schema, ChangeApplier applier, NpgsqlConnection conn) = Loaded("apply");
        using (applier)
        using (conn)
        {
            ChangeBatch batch = Batch();
            Assert.Equal(7, batch.Events);
            Assert.Equal(5, batch.Count);
            ChangeApplier.Applied applied = applier.Apply(conn, batch, "sync-a", [1, 2, 3], 77);

            SchemaCompare.Equal(conn, Expected("apply_expected", FinalState()), schema);
            // users: 3 and 7 replaced, 5 deleted (3 rows out); 3, 7 and 41 in.
            Assert.Equal(3, applied.Deleted[0]);
            Assert.Equal(3, applied.Inserted[0]);
            SyncPositions.Position? at = SyncPositions.Read(conn, "sync-a");
            Assert.NotNull(at);
            Assert.Equal([1, 2, 3], at.ResumeToken);
            Assert.Equal(77, at.ClusterTime);
            Assert.Equal(7, at.Applied);
        }
    }

    [Fact]
    public void Applying_the_same_batch_again_changes_nothing()
    {
        (string schema, ChangeApplier applier, NpgsqlConnection conn) = Loaded("replay");
        using (applier)
        using (conn)
        {
            applier.Apply(conn, Batch(), "sync-r", [1], 1);
            applier.Apply(conn, Batch(), "sync-r", [2], 2); // a crash between commit and acknowledgement replays it
            SchemaCompare.Equal(conn, Expected("replay_expected", FinalState()), schema);
            Assert.Equal(14, SyncPositions.Read(conn, "sync-r")!.Applied);
        }
    }

    [Fact]
    public void A_document_the_mapping_refuses_leaves_the_tables_and_the_position_as_they_were()
    {
        (string schema, ChangeApplier applier, NpgsqlConnection conn) = Loaded("refused");
        using (applier)
        using (conn)
        {
            applier.Apply(conn, new ChangeBatch(), "sync-x", [9], 9);
            var batch = new ChangeBatch();
            batch.Add(Key(5), null);
            using var bad = new BsonWriter();
            bad.WriteStartDocument();
            bad.WriteInt32("_id"u8, 3);
            bad.WriteString("username"u8, "no other field"u8);
            bad.WriteEndDocument();
            batch.Add(Key(3), bad.WrittenSpan.ToArray());

            LoadException e = Assert.Throws<LoadException>(() => applier.Apply(conn, batch, "sync-x", [10], 10));
            Assert.Contains("_id 3", e.Message, StringComparison.Ordinal);
            SchemaCompare.Equal(conn, Expected("refused_expected", Enumerable.Range(1, Users).Select(i => GeneratedBson.User(i))), schema);
            Assert.Equal([9], SyncPositions.Read(conn, "sync-x")!.ResumeToken);
        }
    }

    [Fact]
    public void A_table_its_documents_id_does_not_reach_is_named_before_anything_runs()
    {
        string path = _dir.Write("unreached.json", """
            {"collection": "users", "tables": [
              {"name": "users", "columns": [{"name": "id", "type": "bigint", "from": "_id"}], "primaryKey": ["id"]},
              {"name": "tags", "path": "tags[]", "columns": [{"name": "tag", "type": "text", "from": "$value"}]}]}
            """u8.ToArray());
        LoadPlan plan = PlanCompiler.Compile(MappingParser.ParseFile(path), "s");
        LoadException e = Assert.Throws<LoadException>(() => new ChangeApplier(plan, "db.users"));
        Assert.Contains("table \"tags\" cannot be found from their document's _id", e.Message, StringComparison.Ordinal);
        Assert.Contains("$root._id", e.Hint, StringComparison.Ordinal);
    }
}
