using EtlFast.Core.Tests.Faults;
using EtlFast.Core.Tests.Load;
using EtlFast.Core.Tests.TestSupport;

namespace EtlFast.Core.Tests.Verify;

/// <summary>
/// <c>verify --sample N</c> checks values without the load's encoder: it must pass a correct load and
/// catch an encoder bug that the full verify, which recomputes rows with that same encoder, cannot.
/// </summary>
public sealed class SampleCheckTests : IDisposable
{
    private readonly Schemas _schemas = new();
    private readonly ScratchDir _dir = new("etlfast-sample-");

    public void Dispose()
    {
        _schemas.Dispose();
        _dir.Dispose();
    }

    private string GenerateUsers(int count)
    {
        string path = _dir.File("users.bson");
        Etlfast.Run(["gen", "users", "--count", count.ToString(System.Globalization.CultureInfo.InvariantCulture), "-o", path, "-q"]).Ok();
        return path;
    }

    [Fact]
    public void A_correct_seed_load_passes_the_sample_check()
    {
        string users = GenerateUsers(300);
        string schema = _schemas.New("sample_ok");
        Etlfast.Load(users, SeedData.Mapping, schema).Ok();

        CliResult r = Etlfast.Run(["verify", "--from", users, "-m", SeedData.Mapping, "--to", TestPg.ConnectionString, "--schema", schema, "--sample", "40"]).Ok();

        Assert.Contains("all 15 tables match their source", r.Out, StringComparison.Ordinal);
        Assert.Matches(@"sample: 40 documents, [\d,]+ rows checked independently of the encoder: all values match", r.Out);
        Assert.DoesNotContain("does not check", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void An_encoder_bug_passes_the_full_verify_and_the_sample_check_names_it()
    {
        string users = GenerateUsers(50);
        string schema = _schemas.New("sample_fault");
        var fault = new Dictionary<string, string> { ["ETLFAST_TEST_PLANT_FAULT"] = "timestamptz-off-by-one-second" };
        string[] target = ["--from", users, "-m", SeedData.Mapping, "--to", TestPg.ConnectionString, "--schema", schema];

        using (EtlfastProcess load = EtlfastProcess.Start(fault, ["load", .. target, "-q"]))
        {
            Assert.True(load.WaitForExit(TimeSpan.FromMinutes(2)) == 0, load.ToString());
        }
        using (EtlfastProcess full = EtlfastProcess.Start(fault, ["verify", .. target]))
        {
            // The load and the full check share the (faulty) encoder, so they agree.
            Assert.True(full.WaitForExit(TimeSpan.FromMinutes(2)) == 0, full.ToString());
            Assert.Contains("all 15 tables match their source", full.Out, StringComparison.Ordinal);
        }
        using EtlfastProcess sampled = EtlfastProcess.Start(fault, ["verify", .. target, "--sample", "10"]);
        int exit = sampled.WaitForExit(TimeSpan.FromMinutes(2));

        Assert.True(exit == 4, $"verify --sample should exit 4 on a planted encoder fault\n{sampled}");
        // users.created_at of the first sampled document: one second late in the table.
        var line = System.Text.RegularExpressions.Regex.Match(sampled.Out, @"table ""users"" column ""created_at"", document _id \d+: expected ""([^""]+)"", actual ""([^""]+)""");
        Assert.True(line.Success, $"no difference shown for users.created_at\n{sampled}");
        var expected = DateTimeOffset.Parse(line.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var actual = DateTimeOffset.Parse(line.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(TimeSpan.FromSeconds(1), actual - expected);
        Assert.Matches(@"etlfast: error: verify: table ""\w+"" column ""\w+"" of document _id \d+ holds ""[^""]+"", but the mapping makes ""[^""]+""", sampled.Err);
        Assert.Contains("recomputes rows with the load's own encoder", sampled.Err, StringComparison.Ordinal);
    }
}
