using System.Buffers;
using System.Buffers.Binary;
using EtlFast.Benchmarks;
using MongoDB.Bson;

namespace EtlFast.Bson.Tests;

/// <summary>
/// Seeded fuzzing: valid documents truncated, bit-flipped and patched with hostile lengths. The only
/// failure allowed is a <see cref="BsonException"/> whose offset lies inside the input; the reader,
/// the validator and the framer must agree, and nothing may crash, read out of range or hang. Every
/// input is also read by MongoDB.Bson (<see cref="MongoDifferential"/>): both accept or both refuse,
/// except for the listed <see cref="Allowance"/>s, and where both accept they read the same elements.
/// The work is bounded (a fixed number of cases per seed; a walk of at most one element per input byte), not timed.
/// </summary>
public sealed class FuzzTests
{
    private const long Base = 7_000_000_000;
    private const int CasesPerSeed = 6000;

    private static readonly int[] Hostile = [0, 1, 4, 5, 13, 14, -1, -4, 0x7FFFFFFF, 0x7FFFFFFB, int.MinValue, 0x10000];

    private static readonly Lazy<byte[][]> Seeds = new(() =>
    {
        var seeds = new List<byte[]>();
        seeds.AddRange(CorpusCase.All.Where(c => c.Elements is { Length: > 0 }).Select(c => c.Bson));
        seeds.AddRange(SeedDocuments.Build(4, seed: 99));
        seeds.Add(new BsonDocument
        {
            { "fn", new BsonJavaScriptWithScope("x", new BsonDocument { { "a", new BsonArray { 1, "two", new BsonDocument("b", 3.5) } } }) },
            { "m", new BsonArray { new BsonDocument { { "body", "hello" }, { "u", new BsonBinaryData(Guid.NewGuid(), GuidRepresentation.Standard) } } } },
            { "re", new BsonRegularExpression("^a.*", "i") },
        }.ToBson());
        return [.. seeds];
    });

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Mutated_documents_fail_only_with_BsonException_inside_the_input(int seed)
    {
        var rng = new Random(seed);
        byte[][] seeds = Seeds.Value;
        int comparedWithMongo = 0;
        int failures = 0;
        for (int n = 0; n < CasesPerSeed; n++)
        {
            byte[] input = Mutate(seeds[rng.Next(seeds.Length)], rng);
            if (Check(input, rng, $"seed {seed}, case {n}", out Agreement agreement))
            {
                failures++;
            }
            comparedWithMongo += agreement == Agreement.BothAccepted ? 1 : 0;
        }
        // Enough mutated documents stay valid for their values to be compared with MongoDB.Bson's.
        Assert.InRange(comparedWithMongo, CasesPerSeed / 20, CasesPerSeed);
        // Most mutations must be caught, or the mutator is not reaching the reader's checks.
        Assert.InRange(failures, CasesPerSeed / 4, CasesPerSeed);
    }

    [Fact]
    public void Every_truncation_of_a_seed_document_is_rejected_with_an_offset_inside_it()
    {
        byte[] doc = SeedDocuments.Build(1, seed: 5)[0];
        var rng = new Random(5);
        for (int cut = 0; cut < doc.Length; cut++)
        {
            // As is (the prefix then disagrees), and with the prefix patched so the walk gets inside.
            byte[] truncated = doc[..cut];
            Assert.True(Check(truncated, rng, $"cut {cut}"));
            if (cut >= 5)
            {
                byte[] patched = doc[..cut];
                BinaryPrimitives.WriteInt32LittleEndian(patched, cut);
                patched[^1] = 0;
                Assert.True(Check(patched, rng, $"patched cut {cut}") || IsValidPrefix(patched));
            }
        }
    }

    // A patched truncation may land exactly on an element boundary of the top level and be valid.
    private static bool IsValidPrefix(byte[] patched)
    {
        BsonValidator.Validate(patched, 0);
        return true;
    }

    private static byte[] Mutate(byte[] seed, Random rng)
    {
        byte[] data = (byte[])seed.Clone();
        int rounds = rng.Next(1, 4);
        for (int r = 0; r < rounds && data.Length > 0; r++)
        {
            switch (rng.Next(6))
            {
                case 0: // flip a bit
                    data[rng.Next(data.Length)] ^= (byte)(1 << rng.Next(8));
                    break;
                case 1: // any byte, often one that looks like a type byte
                    data[rng.Next(data.Length)] = rng.Next(2) == 0 ? (byte)rng.Next(256) : (byte)rng.Next(0x15);
                    break;
                case 2: // a hostile length anywhere
                    if (data.Length >= 4)
                    {
                        int at = rng.Next(data.Length - 3);
                        int value = rng.Next(3) == 0 ? data.Length - at + rng.Next(-6, 7) : Hostile[rng.Next(Hostile.Length)];
                        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(at), value);
                    }
                    break;
                case 3: // truncate, keeping the prefix honest so the walk gets inside
                    data = data[..rng.Next(data.Length)];
                    FixFrame(data);
                    break;
                case 4: // cut a range out of the middle
                    {
                        int from = rng.Next(data.Length), count = rng.Next(1, Math.Min(16, data.Length - from) + 1);
                        data = [.. data.AsSpan(0, from), .. data.AsSpan(from + count)];
                        FixFrame(data);
                    }
                    break;
                default: // zero a byte (fake terminators)
                    data[rng.Next(data.Length)] = 0;
                    break;
            }
        }
        return data;
    }

    private static void FixFrame(byte[] data)
    {
        if (data.Length >= 5)
        {
            BinaryPrimitives.WriteInt32LittleEndian(data, data.Length);
            data[^1] = 0;
        }
    }

    /// <summary>True when the input was rejected (consistently, with a good offset); false when it is valid.</summary>
    private static bool Check(byte[] input, Random rng, string what) => Check(input, rng, what, out _);

    /// <summary>As <see cref="Check(byte[], Random, string)"/>, and compared with MongoDB.Bson (<see cref="MongoDifferential"/>).</summary>
    private static bool Check(byte[] input, Random rng, string what, out Agreement agreement)
    {
        BsonException? walk = Run(() => ReaderWalk.Of(input, Base), input, what);
        agreement = MongoDifferential.Compare(input, Base, walk, what);
        BsonException? validate = Run(() => BsonValidator.Validate(input, Base), input, what);
        Assert.True((walk?.Kind, walk?.Offset, walk?.Path) == (validate?.Kind, validate?.Offset, validate?.Path),
            $"{what}: reader said {walk?.Message ?? "ok"}, validator said {validate?.Message ?? "ok"}; input {Convert.ToHexString(input)}");

        // The framer sees the input as the start of a stream, whole and split in two at a random point.
        BsonException? frame = Run(() => BsonFramer.TryFrame(input, Base, 1 << 20, out _), input, what);
        int cut = input.Length == 0 ? 0 : rng.Next(input.Length + 1);
        BsonException? framedSplit = Run(() =>
            BsonFramer.TryFrame(Segments.At(input, [cut]), Base, 1 << 20, out _), input, what);
        Assert.True((frame?.Kind, frame?.Offset) == (framedSplit?.Kind, framedSplit?.Offset), $"{what}: framer differs on a split input");
        if (walk is null)
        {
            Assert.Null(frame); // a document the reader accepts is framed as a whole
        }
        return walk is not null;
    }

    private static BsonException? Run(Action action, byte[] input, string what)
    {
        try
        {
            action();
            return null;
        }
        catch (BsonException ex)
        {
            Assert.InRange(ex.Offset, Base, Base + Math.Max(input.Length - 1, 0));
            Assert.NotNull(ex.Path);
            Assert.Contains($"byte offset {ex.Offset}", ex.Message);
            return ex;
        }
        catch (Exception ex)
        {
            Assert.Fail($"{what}: {ex.GetType().Name} instead of BsonException: {ex.Message}\ninput {Convert.ToHexString(input)}\n{ex.StackTrace}");
            return null;
        }
    }
}
