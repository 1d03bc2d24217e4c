using System.Text;
using EtlFast.Core.Mapping;
using EtlFast.Core.Tests.Faults;
using EtlFast.Core.Tests.TestSupport;
using MongoDB.Bson;

namespace EtlFast.Core.Tests.Infer;

/// <summary>
/// What <c>etlfast infer</c> says and returns when the source is missing, empty or corrupt, and its help
/// text; one run goes through the real executable for the exit codes a shell sees.
/// </summary>
public sealed class InferErrorTests : IDisposable
{
    private readonly ScratchDir _dir = new("etlfast-infer-");

    public void Dispose() => _dir.Dispose();

    private static byte[] Small(int count)
    {
        var docs = Enumerable.Range(1, count).Select(i => new BsonDocument { { "_id", i }, { "name", $"abcdef{i:D3}" } });
        return BsonFile.Encode(docs);
    }

    [Fact]
    public void A_truncated_source_fails_with_the_offset_unless_the_sample_ends_before_the_damage()
    {
        byte[] all = Small(11);
        long last = BsonFile.Offsets(all)[^1];
        string path = _dir.Write("cut.bson", all[..(int)(last + 7)]);

        Etlfast.Run(["infer", "--from", path]).Fails(4, $"byte offset {last}", "truncated");
        Assert.False(File.Exists(_dir.File("never.json")));
        Etlfast.Run(["infer", "--from", path, "-o", _dir.File("never.json")]).Fails(4, $"byte offset {last}");
        Assert.False(File.Exists(_dir.File("never.json")), "no mapping is written from a corrupt sample");

        // Only the first N documents are read: the damage after them is never reached.
        CliResult r = Etlfast.Run(["infer", "--from", path, "--sample", "10"]).Ok();
        Assert.Contains("the first 10 documents of", r.Err);
    }

    [Fact]
    public void Invalid_utf8_inside_a_document_names_the_offset_and_the_field()
    {
        byte[] all = Small(5);
        byte[] needle = Encoding.UTF8.GetBytes("abcdef003");
        int at = all.AsSpan().IndexOf(needle);
        all[at + 2] = 0xFF;
        string path = _dir.Write("bad.bson", all);

        Etlfast.Run(["infer", "--from", path]).Fails(4, "the source is not valid BSON", $"byte offset {at}", "in field \"name\"", "not valid UTF-8");
    }

    [Fact]
    public void Missing_empty_and_unreadable_sources_fail_with_their_exit_codes()
    {
        Etlfast.Run(["infer", "--from", _dir.File("nowhere.bson")]).Fails(2, "source", "does not exist");
        Etlfast.Run(["infer", "--from", _dir.Write("empty.bson", Array.Empty<byte>())]).Fails(4, "nothing to infer a mapping from", "holds no documents");
        Etlfast.Run(["infer", "--from", _dir.Write("bad.bson.gz", Small(3))]).Fails(4, "cannot be decompressed");
        Etlfast.Run(["infer"]).Fails(2, "--from is required");
        Etlfast.Run(["infer", "--from", "x.bson", "--sample", "0"]).Fails(2, "--sample takes a whole number from 1");
        Etlfast.Run(["infer", "--from", "x.bson", "--mapping", "m.json"]).Fails(2, "unknown option \"--mapping\" for \"etlfast infer\"");
    }

    [Fact]
    public void Help_teaches_every_flag_and_the_main_help_lists_the_command()
    {
        CliResult help = Etlfast.Run(["infer", "--help"]).Ok();
        foreach (string flag in new[] { "--from SOURCE", "--sample N", "-o, --output FILE", "-d, --db NAME", "-c, --collection NAME", "-q, --quiet", "-h, --help", "(default 1000)", "{$sample: {size: N}}", "Examples:", "Exit codes:" })
        {
            Assert.Contains(flag, help.Out);
        }
        Assert.Contains("infer    sample a source and propose a mapping", Etlfast.Run(["--help"]).Out);
    }

    [Fact]
    public void The_real_executable_writes_a_loadable_mapping_and_exits_4_on_a_corrupt_source()
    {
        string good = _dir.Write("things.bson", BsonFile.Encode(InferShapeTests.Things()));
        string output = _dir.File(Path.Combine("out", "things.json"));
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        using (EtlfastProcess ok = EtlfastProcess.Start("infer", "--from", good, "-o", output))
        {
            Assert.True(ok.WaitForExit(TimeSpan.FromSeconds(60)) == 0, ok.ToString());
            Assert.Contains("proposed 4 tables", ok.Err);
        }
        MappingDocument mapping = MappingParser.ParseFile(output);
        Assert.Equal(["things", "orders", "lines", new string('l', 63)], mapping.Tables.Select(t => t.Name));
        Assert.False(File.Exists(output + ".tmp"));

        byte[] all = Small(4);
        string cut = _dir.Write("cut.bson", all[..^3]);
        using EtlfastProcess bad = EtlfastProcess.Start("infer", "--from", cut, "-o", _dir.File("cut.json"));
        Assert.Equal(4, bad.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Contains("etlfast: error: the source is not valid BSON", bad.Err);
        Assert.False(File.Exists(_dir.File("cut.json")));
    }
}
