using System.IO.Compression;
using System.Text.Json;
using System.Text.RegularExpressions;
using EtlFast.Core.Sources;
using EtlFast.Core.Tests.TestSupport;
using Npgsql;

namespace EtlFast.Core.Tests.Faults;

/// <summary>
/// A .bson.gz that is damaged or not gzip at all (issue #12): load and verify end with exit 4 and one
/// message naming the byte (compressed or decompressed, as it says), never a stack trace; the summary
/// file and the JSON end event are written; the chunks committed are whole chunks from the start of
/// the file; a --resume stops again at the same place, cleanly. Each variant is made in the test from
/// one small generated file.
/// </summary>
public sealed class DamagedGzipTests : IDisposable
{
    private const int Users = 600; // a little over 3 chunks of 1 MiB
    private static readonly Lazy<byte[]> Plain = new(() => RejectSeed.Generate(Users, 1212));
    private static readonly Lazy<byte[]> Gzip = new(() =>
    {
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gz.Write(Plain.Value);
        }
        return output.ToArray();
    });

    private readonly FaultScope _scope = new();

    public void Dispose() => _scope.Dispose();

    /// <summary>The damaged bytes, and the start of the message that must name where the damage is.</summary>
    private static (byte[] Bytes, string Expected) Variant(string kind)
    {
        byte[] gz = (byte[])Gzip.Value.Clone();
        switch (kind)
        {
            case "plain-bson":
                return (Plain.Value, "at byte 0 (compressed) of");
            case "random":
                var random = new byte[200_000];
                new Random(7).NextBytes(random);
                random[0] = 0x42;
                return (random, "at byte 0 (compressed) of");
            case "method":
                gz[2] = 7;
                return (gz, "at byte 2 (compressed) of");
            case "crc":
                gz[^8] ^= 0xFF; // the CRC32 of the trailer
                return (gz, "(decompressed) of");
            case "truncated":
                int cut = gz.Length * 3 / 4;
                return (gz[..cut], $"at byte {cut} (compressed) of");
            case "concatenated":
                // Valid gzip that cannot be checked for truncation: refused, saying how to recompress it.
                using (var output = new MemoryStream())
                {
                    output.Write(gz);
                    using (var second = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
                    {
                        second.Write(Plain.Value.AsSpan(0, BitConverter.ToInt32(Plain.Value, 0))); // one more document
                    }
                    return (output.ToArray(), $"at byte {output.Length} (compressed) of");
                }
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    [Theory]
    [InlineData("plain-bson", "not gzip data")]
    [InlineData("random", "not gzip data")]
    [InlineData("method", "unknown gzip compression method 7")]
    [InlineData("crc", "fails its CRC32 check")]
    [InlineData("truncated", "it is truncated")]
    [InlineData("concatenated", "several gzip members concatenated (cat a.gz b.gz)")]
    public void Load_and_verify_stop_with_exit_4_and_the_offset_after_committing_whole_chunks(string kind, string what)
    {
        (byte[] bytes, string expected) = Variant(kind);
        string path = _scope.Dir.Write($"{kind}/users.bson.gz", bytes);
        string schema = _scope.NewSchema("gz_" + kind.Replace('-', '_'));
        string summaryPath = _scope.Dir.File($"{kind}.summary.json");

        CliResult r = Etlfast.Load(path, FaultSeed.Mapping, schema, "--chunk-size", "1", "-j", "2", "--progress", "json", "--summary-json", summaryPath);

        string primary = AssertCleanFailure(r, "the source cannot be decompressed at byte ", expected, path, what);
        using NpgsqlConnection conn = TestPg.Open();
        CheckpointState state = CheckpointState.Of(conn, schema);
        AssertWholeChunksFromTheStart(conn, schema, state);
        long offset = long.Parse(Regex.Match(primary, @"at byte (\d+) ").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        if (kind == "crc")
        {
            Assert.True(state.Chunks >= 2, $"the chunks before a bad trailer are good and committed: {state}\n{r}");
            long committedBytes = ChunkEnds(Plain.Value)[(int)state.Chunks - 1];
            Assert.InRange(offset, committedBytes, Plain.Value.Length); // a decompressed offset, past what was committed
        }
        if (kind is "plain-bson" or "random" or "method")
        {
            Assert.Equal(0, state.Chunks); // the header is refused before any document
        }

        JsonElement summary = JsonDocument.Parse(File.ReadAllText(summaryPath)).RootElement;
        Assert.Equal(4, summary.GetProperty("exit_code").GetInt32());
        Assert.Equal("data_error", summary.GetProperty("status").GetString());
        Assert.Equal(primary, summary.GetProperty("error").GetProperty("primary").GetString());
        Assert.Equal(state.Chunks, summary.GetProperty("totals").GetProperty("chunks").GetInt64());
        Assert.Equal(state.Documents, summary.GetProperty("totals").GetProperty("documents").GetInt64());
        JsonElement end = JsonDocument.Parse(r.Err.Split('\n').Last(l => l.StartsWith('{'))).RootElement;
        Assert.Equal("end", end.GetProperty("event").GetString());
        Assert.Equal(4, end.GetProperty("exit_code").GetInt32());
        Assert.Equal(primary, end.GetProperty("error").GetProperty("primary").GetString());

        CliResult verify = Etlfast.Run(["verify", "--from", path, "-m", FaultSeed.Mapping, "--to", TestPg.ConnectionString, "--schema", schema, "--chunk-size", "1"]);
        Assert.Equal("verify: " + primary, AssertCleanFailure(verify, "verify: the source cannot be decompressed at byte ", expected, path, what));

        CliResult infer = Etlfast.Run(["infer", "--from", path, "-o", _scope.Dir.File($"{kind}.mapping.json")]);
        Assert.Equal(primary, AssertCleanFailure(infer, "the source cannot be decompressed at byte ", expected, path, what));
        Assert.False(File.Exists(_scope.Dir.File($"{kind}.mapping.json")));
    }

    [Fact]
    public void A_resume_of_a_damaged_file_stops_again_at_the_same_place_and_keeps_the_committed_chunks()
    {
        (byte[] bytes, _) = Variant("crc");
        string path = _scope.Dir.Write("resume/users.bson.gz", bytes);
        string schema = _scope.NewSchema("gz_resume");
        CliResult first = Etlfast.Load(path, FaultSeed.Mapping, schema, "--chunk-size", "1", "-j", "2");
        string primary = AssertCleanFailure(first, "the source cannot be decompressed at byte ", "(decompressed) of", path, "CRC32");
        CheckpointState before = CheckpointState.Of(schema);

        CliResult again = Etlfast.Load(path, FaultSeed.Mapping, schema, "--chunk-size", "1", "-j", "2", "--resume");

        Assert.Equal(primary, AssertCleanFailure(again, "the source cannot be decompressed at byte ", "(decompressed) of", path, "CRC32"));
        Assert.Contains("--resume", again.Err, StringComparison.Ordinal); // the hint says a resume cannot get past it
        CheckpointState after = CheckpointState.Of(schema);
        Assert.Equal((before.Chunks, before.Documents, before.Rows, false), (after.Chunks, after.Documents, after.Rows, after.Finished));
        Assert.Equal(before.ChunkIndexes, after.ChunkIndexes);
    }

    [Fact]
    public void A_whole_gzip_file_still_loads_every_document()
    {
        string schema = _scope.NewSchema("gz_whole");
        Etlfast.Load(_scope.Dir.Write("whole/users.bson.gz", Gzip.Value), FaultSeed.Mapping, schema, "--chunk-size", "1", "-j", "2", "-q").Ok();
        Assert.Equal((long)Users, CheckpointState.Of(schema).Documents);
    }

    [Theory]
    [InlineData("crc", "fails its CRC32 check")]
    [InlineData("truncated", "it is truncated")]
    [InlineData("plain-bson", null)]
    public void Gzip_on_standard_input_is_recognised_and_its_damage_named_as_in_a_file(string kind, string? what)
    {
        (byte[] bytes, string expected) = Variant(kind);
        string schema = _scope.NewSchema("gz_stdin_" + kind.Replace('-', '_'));
        CliResult r = Etlfast.LoadStdin(() => new MemoryStream(bytes), FaultSeed.Mapping, schema, "--chunk-size", "1", "-j", "2");
        if (what is null)
        {
            r.Ok(); // plain BSON on stdin is still plain BSON
        }
        else
        {
            AssertCleanFailure(r, "the source cannot be decompressed at byte ", expected, "standard input", what);
        }

        string whole = _scope.NewSchema("gz_stdin_whole_" + kind.Replace('-', '_'));
        Etlfast.LoadStdin(() => new MemoryStream(Gzip.Value), FaultSeed.Mapping, whole, "--chunk-size", "1", "-j", "2").Ok();
        Assert.Equal((long)Users, Count(whole)); // standard input keeps no checkpoints: count the rows
    }

    private static long Count(string schema)
    {
        using NpgsqlConnection conn = TestPg.Open();
        return (long)TestPg.Scalar(conn, $"SELECT count(*) FROM {TestPg.Qualify(schema, "users")}")!;
    }

    /// <summary>Exit 4, one error line holding every phrase, no stack trace; returns the primary line.</summary>
    private static string AssertCleanFailure(CliResult r, string start, string expected, string path, string what)
    {
        r.Fails(4, $"{expected} {path}: ", what);
        Assert.DoesNotContain("   at ", r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", r.Err, StringComparison.Ordinal);
        string line = r.Err.Split('\n').Single(l => l.StartsWith("etlfast: error: ", StringComparison.Ordinal));
        string primary = line["etlfast: error: ".Length..];
        Assert.StartsWith(start, primary, StringComparison.Ordinal);
        return primary;
    }

    /// <summary>The committed chunks are 0..k-1, and they hold exactly the first documents of the file, as many as those k chunks hold.</summary>
    private static void AssertWholeChunksFromTheStart(NpgsqlConnection conn, string schema, CheckpointState state)
    {
        Assert.Equal(Enumerable.Range(0, (int)state.Chunks).Select(i => (long)i), state.ChunkIndexes);
        List<int> documents = ChunkDocuments(Plain.Value);
        Assert.Equal(documents.Take((int)state.Chunks).Sum(), state.Documents);
        if (state.Chunks == 0)
        {
            return;
        }
        SchemaCompare.HoldsOnlyCommittedChunks(conn, schema, state, "users");
        List<long> firstIds = BsonFile.Decode(Plain.Value).Take((int)state.Documents).Select(d => d["_id"].ToInt64()).Order().ToList();
        using var cmd = new NpgsqlCommand($"SELECT id FROM {TestPg.Qualify(schema, "users")} ORDER BY id", conn);
        using NpgsqlDataReader reader = cmd.ExecuteReader();
        var ids = new List<long>();
        while (reader.Read())
        {
            ids.Add(Convert.ToInt64(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture));
        }
        Assert.Equal(firstIds, ids);
    }

    /// <summary>How the loader cuts the undamaged file into chunks of 1 MiB: documents per chunk.</summary>
    private static List<int> ChunkDocuments(byte[] plain) => Cut(plain).Select(c => c.Documents).ToList();

    /// <summary>The byte offset where each chunk ends in the decompressed file.</summary>
    private static List<long> ChunkEnds(byte[] plain) => Cut(plain).Select(c => c.End).ToList();

    private static List<(int Documents, long End)> Cut(byte[] plain)
    {
        using var chunker = new StreamChunker(new MemoryStream(plain), "plain", 1 << 20);
        var chunks = new List<(int, long)>();
        while (chunker.Next(CancellationToken.None) is { } chunk)
        {
            chunks.Add((chunk.Documents, chunk.SourceOffset + chunk.Length));
            chunk.Release();
        }
        return chunks;
    }
}
