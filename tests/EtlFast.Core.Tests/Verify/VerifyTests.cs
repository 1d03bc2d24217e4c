using EtlFast.Core.Tests.Load;
using EtlFast.Core.Tests.TestSupport;
using Npgsql;

namespace EtlFast.Core.Tests.Verify;

/// <summary>
/// <c>etlfast verify</c> recomputes every row from the source and must catch any difference in the
/// tables: a value changed, a row deleted, a row added behind the loader's back.
/// </summary>
public sealed class VerifyTests : IDisposable
{
    private readonly Schemas _schemas = new();

    public void Dispose() => _schemas.Dispose();

    private static CliResult Verify(SeedData data, string schema) =>
        Etlfast.Run(["verify", "--from", data.BsonPath, "-m", SeedData.Mapping, "--to", TestPg.ConnectionString, "--schema", schema]);

    [Fact]
    public void A_fresh_load_verifies_and_load_verify_agrees()
    {
        SeedData data = SeedData.Get();
        string schema = _schemas.New("verify_ok");
        CliResult load = Etlfast.Load(data.BsonPath, SeedData.Mapping, schema, "--verify").Ok();
        Assert.Contains("all 15 tables match their source", load.Out, StringComparison.Ordinal);

        CliResult r = Verify(data, schema).Ok();
        Assert.Contains("all 15 tables match their source", r.Out, StringComparison.Ordinal);
        Assert.Matches(@"activity_log\s+[\d,]+\s+[\d,]+\s+ok", r.Out);
    }

    [Theory]
    [InlineData("UPDATE {0}.messages SET read = NOT read WHERE id = (SELECT min(id) FROM {0}.messages)", "messages")]
    [InlineData("UPDATE {0}.addresses SET coordinates = jsonb_set(coordinates, '{{lat}}', '0') WHERE id = 7", "addresses")]
    [InlineData("DELETE FROM {0}.activity_log WHERE id = (SELECT max(id) FROM {0}.activity_log)", "activity_log")]
    [InlineData("INSERT INTO {0}.large_data SELECT id + 1000000, user_id, blob1, blob2, blob3, blob4, blob5 FROM {0}.large_data WHERE id = 1", "large_data")]
    public void A_row_changed_behind_its_back_is_caught_and_named(string change, string table)
    {
        SeedData data = SeedData.Get();
        string schema = _schemas.New("verify_bad");
        Etlfast.Load(data.BsonPath, SeedData.Mapping, schema, "--constraints", "before").Ok();
        using (NpgsqlConnection conn = TestPg.Open())
        {
            if (table == "large_data")
            {
                TestPg.Execute(conn, $"ALTER TABLE {TestPg.Quote(schema)}.large_data DROP CONSTRAINT large_data_user_id_fkey");
            }
            TestPg.Execute(conn, string.Format(System.Globalization.CultureInfo.InvariantCulture, change, TestPg.Quote(schema)));
        }

        CliResult r = Verify(data, schema);

        Assert.True(r.Exit == 4, $"verify should exit 4 after a change to {table}\n{r}");
        Assert.Matches($@"{table}\s+[\d,]+\s+[\d,]+\s+DIFFERS", r.Out);
        Assert.Equal(1, r.Out.Split('\n').Count(l => l.Contains("DIFFERS", StringComparison.Ordinal)));
        Assert.Contains("some tables differ", r.Err, StringComparison.Ordinal);
    }
}
