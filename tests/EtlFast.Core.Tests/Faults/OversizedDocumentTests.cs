using EtlFast.Core.Tests.TestSupport;
using MongoDB.Bson;
using MongoDB.Bson.IO;

namespace EtlFast.Core.Tests.Faults;

/// <summary>
/// A document over MongoDB's 16 MiB limit inside a dump (whole and readable, just too big): with
/// --on-error reject it goes whole to the reject file and the rest loads; with stop it ends the load
/// naming its _id, offset and largest field. A length prefix no document can have (over 64 MiB) is
/// corruption instead: the stream cannot be followed past it in either mode.
/// </summary>
public sealed class OversizedDocumentTests : IDisposable
{
    private const long BigId = 1025;
    private const int BigPad = 17 * 1024 * 1024;

    private readonly FaultScope _scope = new();

    public void Dispose() => _scope.Dispose();

    private string RejectDir => _scope.Dir.File("rejects");

    /// <summary>Three good documents of ~100 KB, the 17 MiB one, three more good ones.</summary>
    private static (ThingsFile File, byte[] Big, long BigOffset) WithOversized()
    {
        var file = new ThingsFile();
        for (int id = 1; id <= 3; id++)
        {
            file.AddGood(id, RejectTests.Pad);
        }
        long offset = file.Length;
        // MongoDB.Bson refuses to write over its own 16 MiB default, as a server would: lift it for the test.
        byte[] big = ThingsData.Good(BigId, BigPad).ToBson(writerSettings: new BsonBinaryWriterSettings { MaxDocumentSize = int.MaxValue });
        Assert.True(big.Length > 16 * 1024 * 1024 + 16 * 1024);
        file.AddRaw(big);
        for (int id = 4; id <= 6; id++)
        {
            file.AddGood(id, RejectTests.Pad);
        }
        return (file, big, offset);
    }

    [Fact]
    public void Reject_mode_sets_the_oversized_document_aside_whole_and_loads_the_rest()
    {
        (ThingsFile file, byte[] big, long offset) = WithOversized();
        string schema = _scope.NewSchema("over_reject");

        CliResult r = Etlfast.Load(file.Write(_scope.Dir), ThingsFile.WriteMapping(_scope.Dir), schema,
            "--constraints", "before", "--chunk-size", "1", "-j", "2", "--on-error", "reject", "--reject-dir", RejectDir);

        Assert.True(r.Exit == 1, $"expected exit 1 (completed with rejects)\n{r}");
        byte[] rejected = File.ReadAllBytes(Path.Combine(RejectDir, "things.rejects.bson"));
        Assert.True(rejected.AsSpan().SequenceEqual(big), $"the reject file holds {rejected.Length:N0} bytes, not the {big.Length:N0} of the document");
        string log = File.ReadAllText(Path.Combine(RejectDir, "things.rejects.log"));
        foreach (string wanted in (string[])[$"_id {BigId}", $"byte offset {offset}", "\"pad\"", "table \"things\"", "16 MiB"])
        {
            Assert.True(log.Contains(wanted, StringComparison.Ordinal), $"the reject log does not name «{wanted}»:\n{log}");
        }
        ThingsFile.AssertTables(schema, file.Good);
        CheckpointState state = CheckpointState.Of(schema);
        Assert.True(state.Finished && state.Documents == 7 && state.Rejected == 1, $"checkpoints: {state}");
    }

    [Fact]
    public void Stop_mode_ends_the_load_naming_the_document_and_keeps_the_chunks_before_it()
    {
        (ThingsFile file, _, long offset) = WithOversized();
        string schema = _scope.NewSchema("over_stop");

        CliResult r = Etlfast.Load(file.Write(_scope.Dir), ThingsFile.WriteMapping(_scope.Dir), schema,
            "--constraints", "before", "--chunk-size", "1", "-j", "1");

        r.Fails(4, $"_id {BigId}", $"byte offset {offset}", "\"pad\"", "over MongoDB's 16 MiB limit", "--on-error reject");
        // The three documents before it do not fill a 1 MiB chunk with it, so they form chunk 0, committed.
        CheckpointState state = CheckpointState.Of(schema);
        Assert.True(!state.Finished && state.ChunkIndexes.SequenceEqual([0L]) && state.Documents == 3, $"checkpoints: {state}\n{r}");
        ThingsFile.AssertTables(schema, file.Good.Take(3));
    }

    [Theory]
    [InlineData("stop")]
    [InlineData("reject")]
    public void A_length_prefix_over_64_MiB_is_corruption_in_either_mode(string onError)
    {
        var file = new ThingsFile();
        for (int id = 1; id <= 5; id++)
        {
            file.AddGood(id);
        }
        long damage = file.Length;
        file.AddRaw([0x00, 0x00, 0x00, 0x05, 0x03, 0x61, 0x00, 0x05, 0x00]); // claims 80 MiB
        string schema = _scope.NewSchema("over_prefix_" + onError);

        CliResult r = Etlfast.Load(file.Write(_scope.Dir), ThingsFile.WriteMapping(_scope.Dir), schema,
            "--chunk-size", "1", "--on-error", onError, "--reject-dir", RejectDir);

        r.Fails(4, $"byte offset {damage}", "not valid BSON");
        ThingsFile.AssertTables(schema, file.Good);
        Assert.False(File.Exists(Path.Combine(RejectDir, "things.rejects.bson")), "a broken stream is not a rejected document");
    }
}
