using EtlFast.Core.Tests.Load;
using EtlFast.Core.Tests.TestSupport;
using MongoDB.Bson;

namespace EtlFast.Core.Tests.Infer;

/// <summary>
/// Shapes that a proposed mapping would load with a silent loss unless infer says so: a field name
/// repeated in one object, which the load refuses, must be flagged where the column is proposed.
/// </summary>
public sealed class InferLossTests : IDisposable
{
    private readonly ScratchDir _dir = new("etlfast-infer-");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_repeated_field_name_is_flagged_at_its_column_and_in_the_summary()
    {
        var bytes = new List<byte>();
        for (int i = 0; i < 10; i++)
        {
            bytes.AddRange(i == 4
                ? RepeatedFieldTests.Raw(("_id", i), ("v", "first"), ("v", "second"), ("note", new RepeatedFieldTests.Doc(RepeatedFieldTests.Raw(("tag", "x"), ("tag", "y")))))
                : RepeatedFieldTests.Raw(("_id", i), ("v", $"v{i}"), ("note", new BsonDocument("tag", "x"))));
        }
        string source = _dir.Write("things.bson", [.. bytes]);
        string mappingPath = _dir.File("things.json");

        CliResult r = Etlfast.Run(["infer", "--from", source, "-o", mappingPath]).Ok();

        string[] lines = File.ReadAllLines(mappingPath);
        string v = lines.Single(l => l.Contains("\"from\": \"v\"", StringComparison.Ordinal));
        Assert.Contains("UNSTORABLE: 1 sampled objects hold a field name twice at one level (here)", v, StringComparison.Ordinal);
        string note = lines.Single(l => l.Contains("\"from\": \"note.tag\"", StringComparison.Ordinal) || l.Contains("\"from\": \"note\"", StringComparison.Ordinal));
        Assert.Contains("UNSTORABLE: 1 sampled objects hold a field name twice", note, StringComparison.Ordinal);
        Assert.Contains("2 unstorable (UNSTORABLE)", File.ReadAllText(mappingPath), StringComparison.Ordinal);
        Assert.Contains("the load refuses such documents", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void An_always_empty_subdocument_is_named_in_a_comment_not_dropped_silently()
    {
        var docs = Enumerable.Range(1, 5).Select(i => new BsonDocument { { "_id", i }, { "meta", new BsonDocument() } });
        string source = _dir.Write("things.bson", BsonFile.Encode(docs));
        string mappingPath = _dir.File("things.json");

        Etlfast.Run(["infer", "--from", source, "-o", mappingPath, "-q"]).Ok();

        Assert.Contains("// NOT MAPPED: \"meta\": an empty subdocument in every sampled object that has it (5): no column; to keep it, add",
            File.ReadAllText(mappingPath), StringComparison.Ordinal);
    }
}
