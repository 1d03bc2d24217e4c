using EtlFast.Core.Tests.TestSupport;

namespace EtlFast.Core.Tests.Faults;

/// <summary>
/// The default --on-error stop: the first document that cannot be stored ends the load with exit 4
/// and a message naming its _id, byte offset, field and table; its chunk rolls back whole and the
/// chunks committed before it stay exactly.
/// </summary>
public sealed class StopOnErrorTests : IDisposable
{
    private readonly FaultScope _scope = new();

    public void Dispose() => _scope.Dispose();

    public static TheoryData<string> KindNames => RejectTests.KindNames;

    [Theory]
    [MemberData(nameof(KindNames))]
    public void The_first_bad_document_stops_with_exit_4_naming_it_and_earlier_chunks_stay(string kindName)
    {
        BadKind kind = ThingsData.Kind(kindName);
        ThingsFile file = RejectTests.OneBad(kind); // 3 chunks of 11 documents; the bad one in the third
        string schema = _scope.NewSchema("stop_" + kindName[..Math.Min(12, kindName.Length)]);

        CliResult r = Etlfast.Load(file.Write(_scope.Dir), ThingsFile.WriteMapping(_scope.Dir), schema,
            "--constraints", "before", "--chunk-size", "1", "-j", "1");

        Assert.True(r.Exit == 4, $"expected exit 4\n{r}");
        (_, long id, long offset, _) = file.Bad.Single();
        RejectTests.AssertNames(r.Err, id, offset, kind);

        // Chunks 0 and 1 (documents 1-22) committed; chunk 2 with the bad document rolled back whole.
        CheckpointState state = CheckpointState.Of(schema);
        Assert.True(!state.Finished && state.ChunkIndexes.SequenceEqual([0L, 1L]) && state.Documents == 22, $"checkpoints: {state}\n{r}");
        ThingsFile.AssertTables(schema, file.Good.Take(22));
    }
}
