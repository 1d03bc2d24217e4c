using EtlFast.Core.Tests.TestSupport;
using Npgsql;

namespace EtlFast.Core.Tests.Faults;

/// <summary>
/// A dump with a broken tail (cut inside its last document, or followed by bytes that are not BSON):
/// exit 4 with the byte offset where the damage starts, and, as the message promises, every document
/// before it loaded exactly, with either --on-error.
/// </summary>
public sealed class CorruptSourceTests : IDisposable
{
    private readonly FaultScope _scope = new();

    public void Dispose() => _scope.Dispose();

    [Theory]
    [InlineData("stop")]
    [InlineData("reject")]
    public void A_truncated_last_document_stops_with_its_offset_after_loading_every_whole_one(string onError)
    {
        const int users = 600; // a little over 3 chunks of 1 MiB
        byte[] all = RejectSeed.Generate(users, 61);
        List<long> offsets = BsonFile.Offsets(all);
        long last = offsets[^1];
        byte[] whole = all[..(int)last];
        byte[] truncated = all[..(int)(last + ((all.Length - last) / 2))];

        string reference = _scope.NewSchema("trunc_ref");
        Etlfast.Load(_scope.Dir.Write("whole.bson", whole), FaultSeed.Mapping, reference, "--chunk-size", "1", "-j", "2", "-q").Ok();

        string schema = _scope.NewSchema("trunc_" + onError);
        CliResult r = Etlfast.Load(_scope.Dir.Write("truncated.bson", truncated), FaultSeed.Mapping, schema,
            "--chunk-size", "1", "-j", "2", "--on-error", onError, "--reject-dir", _scope.Dir.File("rejects"));

        r.Fails(4, $"byte offset {last}", "truncated");
        using NpgsqlConnection conn = TestPg.Open();
        SchemaCompare.Equal(conn, reference, schema, keys: false);
        Assert.Equal((long)(users - 1), CheckpointState.Of(conn, schema).Documents);
        Assert.False(File.Exists(Path.Combine(_scope.Dir.File("rejects"), "users.rejects.bson")), "a broken tail is not a rejected document");
    }

    [Fact]
    public void Bytes_that_are_not_bson_after_the_last_document_stop_with_their_offset_after_loading_the_documents()
    {
        var file = new ThingsFile();
        for (int id = 1; id <= 10; id++)
        {
            file.AddGood(id);
        }
        long damage = file.Length;
        // A length prefix of 2^31-1: no document can be that long, so the stream cannot be framed from here.
        file.AddRaw([0xFF, 0xFF, 0xFF, 0x7F, 0x01, 0x02, 0x03, 0x04]);
        string schema = _scope.NewSchema("garbage_tail");

        CliResult r = Etlfast.Load(file.Write(_scope.Dir), ThingsFile.WriteMapping(_scope.Dir), schema, "--chunk-size", "1", "-j", "2");

        r.Fails(4, $"byte offset {damage}");
        ThingsFile.AssertTables(schema, file.Good);
    }
}
