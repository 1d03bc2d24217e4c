using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;
using EtlFast.Core.Sources;
using EtlFast.Core.Tests.Faults;
using EtlFast.Core.Tests.Load;
using EtlFast.Core.Tests.TestSupport;
using Npgsql;

namespace EtlFast.Core.Tests.Archive;

/// <summary>
/// A damaged mongodump archive stops load, verify and infer as a damaged .bson.gz does: exit 4, one
/// message naming the byte offset in the archive and the namespace, the whole chunks before the damage
/// committed (chunks 0..k-1, holding the first documents), and a --resume stops again at the same place.
/// </summary>
public sealed class ArchiveDamageTests : IDisposable
{
    private const int Users = 600; // a little over 3 chunks of 1 MiB
    private static readonly Lazy<SeedArchive> Whole = new(() =>
        SeedArchive.Write(Data.Bytes, SeedData.Get(40, seed: 99).Bytes, ("sample_db", "users"), ("other_db", "users")));

    private readonly FaultScope _scope = new();

    public void Dispose() => _scope.Dispose();

    private static SeedData Data => SeedData.Get(Users, seed: 1212);

    /// <summary>The damaged archive and the exact start of the message: "at byte N ..., in namespace NS: what".</summary>
    private static (byte[] Bytes, long Offset, string Namespace, string What) Variant(string kind)
    {
        SeedArchive a = Whole.Value;
        byte[] bytes = (byte[])a.Bytes.Clone();
        long late = a.UserStarts[Users * 3 / 4];
        switch (kind)
        {
            case "truncated":
                return (bytes[..(int)(late + 10)], late + 10, "sample_db.users", $"the archive ends inside the document that starts at byte {late}: it is truncated");
            case "crc":
                // The CRC field is the header's last 8 bytes before its 0x00.
                int headerLength = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan((int)a.UsersEofHeader));
                bytes[(int)a.UsersEofHeader + headerLength - 2] ^= 0x5A;
                return (bytes, a.UsersEofHeader, "sample_db.users", "the namespace's CRC-64 does not match");
            case "unlisted":
                // Rename the decoy's database in the prelude only: its blocks then name a namespace the prelude does not list.
                int at = IndexOf(bytes, "other_db\0"u8);
                Assert.True(at < a.UserStarts[0], "the first other_db is in the prelude");
                bytes[at] = (byte)'x';
                return (bytes, a.FirstDecoyBlock, "other_db.users", "a block for a namespace the prelude does not list");
            case "length":
                BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan((int)late), 3);
                return (bytes, late, "sample_db.users", $"3 is neither a document length (5 to {Bson.BsonReader.MaxFramedDocumentSize} bytes) nor the block terminator 0xffffffff");
            case "twice":
                byte[] twice = SeedArchive.Write(Data.Bytes, [], ("sample_db", "users"), ("sample_db", "users")).Bytes;
                int header = BinaryPrimitives.ReadInt32LittleEndian(twice.AsSpan(4));
                int first = BinaryPrimitives.ReadInt32LittleEndian(twice.AsSpan(4 + header));
                return (twice, 4 + header + first, "sample_db.users", "the prelude lists this namespace twice");
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    private static int IndexOf(byte[] haystack, ReadOnlySpan<byte> needle) => haystack.AsSpan().IndexOf(needle);

    [Theory]
    [InlineData("truncated")]
    [InlineData("crc")]
    [InlineData("unlisted")]
    [InlineData("length")]
    [InlineData("twice")]
    public void Load_verify_and_infer_stop_with_exit_4_naming_the_offset_and_namespace(string kind)
    {
        (byte[] bytes, long offset, string ns, string what) = Variant(kind);
        string path = _scope.Dir.Write($"{kind}/dump.archive", bytes);
        string schema = _scope.NewSchema("arc_dmg_" + kind);
        string expected = $"the archive is damaged at byte {offset} of {path}, in namespace {ns}: {what}";

        CliResult r = Etlfast.Load(path, FaultSeed.Mapping, schema, "--chunk-size", "1", "-j", "2");

        Assert.StartsWith(expected, AssertCleanFailure(r), StringComparison.Ordinal);
        using NpgsqlConnection conn = TestPg.Open();
        CheckpointState state = CheckpointState.Of(conn, schema);
        AssertWholeChunksFromTheStart(conn, schema, state);
        if (kind is "truncated" or "crc" or "length")
        {
            Assert.True(state.Chunks >= 2, $"the whole chunks before damage late in the archive are committed: {state}\n{r}");
        }
        if (kind == "twice")
        {
            Assert.Equal(0, state.Chunks); // refused while reading the prelude
        }

        CliResult verify = Etlfast.Run(["verify", "--from", path, "-m", FaultSeed.Mapping, "--to", TestPg.ConnectionString, "--schema", schema, "--chunk-size", "1"]);
        Assert.StartsWith("verify: " + expected, AssertCleanFailure(verify), StringComparison.Ordinal);

        string mapping = _scope.Dir.File($"{kind}.mapping.json");
        CliResult infer = Etlfast.Run(["infer", "--from", path, "-d", "sample_db", "-c", "users", "-o", mapping, "--sample", "100000"]);
        Assert.StartsWith(expected, AssertCleanFailure(infer), StringComparison.Ordinal);
        Assert.False(File.Exists(mapping));
    }

    [Fact]
    public void A_resume_of_a_damaged_archive_stops_again_at_the_same_place_and_keeps_the_committed_chunks()
    {
        (byte[] bytes, _, _, _) = Variant("crc");
        string path = _scope.Dir.Write("resume/dump.archive", bytes);
        string schema = _scope.NewSchema("arc_dmg_resume");
        string first = AssertCleanFailure(Etlfast.Load(path, FaultSeed.Mapping, schema, "--chunk-size", "1", "-j", "2"));
        CheckpointState before = CheckpointState.Of(schema);

        CliResult again = Etlfast.Load(path, FaultSeed.Mapping, schema, "--chunk-size", "1", "-j", "2", "--resume");

        Assert.Equal(first, AssertCleanFailure(again));
        Assert.Contains("--resume", again.Err, StringComparison.Ordinal); // the hint: a resume cannot get past it
        CheckpointState after = CheckpointState.Of(schema);
        Assert.Equal((before.Chunks, before.Documents, before.Rows, false), (after.Chunks, after.Documents, after.Rows, after.Finished));
        Assert.Equal(before.ChunkIndexes, after.ChunkIndexes);
    }

    /// <summary>Exit 4 and one error line, no stack trace; returns the primary line.</summary>
    private static string AssertCleanFailure(CliResult r)
    {
        r.Fails(4);
        Assert.DoesNotContain("   at ", r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", r.Err, StringComparison.Ordinal);
        string line = r.Err.Split('\n').Single(l => l.StartsWith("etlfast: error: ", StringComparison.Ordinal));
        return line["etlfast: error: ".Length..];
    }

    /// <summary>The committed chunks are 0..k-1 and hold exactly the first users, as many as k chunks of the users' own stream hold.</summary>
    private static void AssertWholeChunksFromTheStart(NpgsqlConnection conn, string schema, CheckpointState state)
    {
        Assert.Equal(Enumerable.Range(0, (int)state.Chunks).Select(i => (long)i), state.ChunkIndexes);
        List<int> perChunk = [];
        using (var chunker = new StreamChunker(new MemoryStream(Data.Bytes), "users", 1 << 20))
        {
            while (chunker.Next(CancellationToken.None) is { } chunk)
            {
                perChunk.Add(chunk.Documents);
                chunk.Release();
            }
        }
        Assert.Equal(perChunk.Take((int)state.Chunks).Sum(), state.Documents);
        if (state.Chunks == 0)
        {
            return;
        }
        List<long> firstIds = BsonFile.Decode(Data.Bytes).Take((int)state.Documents).Select(d => d["_id"].ToInt64()).Order().ToList();
        using var cmd = new NpgsqlCommand($"SELECT id FROM {TestPg.Qualify(schema, "users")} ORDER BY id", conn);
        using NpgsqlDataReader reader = cmd.ExecuteReader();
        var ids = new List<long>();
        while (reader.Read())
        {
            ids.Add(Convert.ToInt64(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture));
        }
        Assert.Equal(firstIds, ids);
    }
}
