using EtlFast.Core.Tests.TestSupport;
using Npgsql;

namespace EtlFast.Core.Tests.Load;

/// <summary>
/// The seed workload end to end: generated users loaded with examples/seed-users.json must give, in
/// all 15 tables, exactly the rows an independent decoder computes, with every key in place, however
/// the load is run (keys after or before, one worker or several, one chunk or many).
/// </summary>
public sealed class SeedLoadTests : IDisposable
{
    private readonly Schemas _schemas = new();

    public void Dispose() => _schemas.Dispose();

    [Theory]
    [InlineData(null, 1, null)]        // the defaults: keys after the data, 4 MiB chunks
    [InlineData("after", 3, 1)]
    [InlineData("before", 3, null)]
    [InlineData("before", 1, 1)]
    public void Every_table_equals_the_independent_decoding(string? constraints, int jobs, int? chunkMb)
    {
        SeedData data = SeedData.Get();
        string schema = _schemas.New("seed");
        var extra = new List<string> { "-j", jobs.ToString() };
        if (constraints is not null)
        {
            extra.AddRange(["--constraints", constraints]);
        }
        if (chunkMb is { } mb)
        {
            extra.AddRange(["--chunk-size", mb.ToString()]);
        }

        CliResult r = Etlfast.Load(data.BsonPath, SeedData.Mapping, schema, [.. extra]).Ok();

        long chunkBytes = (chunkMb ?? 4) * 1024L * 1024;
        long minChunks = data.Bytes.Length / chunkBytes;
        Assert.True(r.Chunks >= Math.Max(1, minChunks), $"expected at least {minChunks} chunks for {data.Bytes.Length} bytes\n{r}");
        Assert.Contains($"loaded {SeedData.Users:N0} documents", r.Err);
        using NpgsqlConnection conn = TestPg.Open();
        SeedData.AssertLoaded(conn, schema, data.Tables);
    }
}
