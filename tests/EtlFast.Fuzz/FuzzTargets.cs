using System.Buffers;
using EtlFast.Bson;
using EtlFast.Bson.Tests;
using EtlFast.Core.Mapping;

namespace EtlFast.Fuzz;

/// <summary>
/// The fuzz targets. Each takes one input and returns true when the library accepts it, false when it
/// refuses it with its own exception (<see cref="BsonException"/>, <see cref="MappingException"/>)
/// whose position lies inside the input. Anything else escapes: another exception type, or a broken
/// invariant reported as <see cref="FuzzInvariantException"/>. Under AFL++ that is a crash; in the
/// replay test (FuzzRegressionTests) it fails the test. Compiled into both.
/// </summary>
public static class FuzzTargets
{
    /// <summary>Inputs are placed this far into a stream, so an offset computed from 0 is caught.</summary>
    private const long Base = 1_000_003;

    public static IReadOnlyList<string> Names { get; } = ["framer", "reader", "mapping"];

    public static bool Run(string target, ReadOnlySpan<byte> input) => target switch
    {
        "framer" => Framer(input),
        "reader" => Reader(input),
        "mapping" => Mapping(input),
        _ => throw new ArgumentException($"unknown fuzz target \"{target}\"; expected one of {string.Join(", ", Names)}", nameof(target)),
    };

    /// <summary>
    /// The input as a stream of documents: framed from a span and from two segments cut at a point the
    /// input chooses (the two must agree), each framed document read (a refused one is skipped, as a
    /// load rejects it), and the bytes left at the end checked.
    /// </summary>
    private static bool Framer(ReadOnlySpan<byte> input)
    {
        byte[] data = input.ToArray();
        int pos = 0;
        try
        {
            while (pos < data.Length)
            {
                long offset = Base + pos;
                var whole = Frame(data.AsSpan(pos), offset);
                int cut = data[pos] % (data.Length - pos + 1);
                var split = Frame(Segments.At(data[pos..], [cut]), offset);
                if ((whole.Status, whole.Length, whole.Error?.Kind, whole.Error?.Offset) != (split.Status, split.Length, split.Error?.Kind, split.Error?.Offset))
                {
                    throw new FuzzInvariantException($"framer at {pos}: a span says {whole.Status} {whole.Length} {whole.Error?.Message}; two segments cut at {cut} say {split.Status} {split.Length} {split.Error?.Message}");
                }
                if (whole.Error is not null)
                {
                    throw whole.Error;
                }
                if (whole.Status == OperationStatus.NeedMoreData)
                {
                    break;
                }
                if (Read(data.AsSpan(pos, whole.Length), offset) is { } refused)
                {
                    CheckOffset(refused, offset, whole.Length);
                }
                pos += whole.Length;
            }
            BsonFramer.CheckEndOfStream(data.Length - pos, Base + pos);
            return true;
        }
        catch (BsonException ex)
        {
            CheckOffset(ex, Base, data.Length);
            return false;
        }
    }

    private static (OperationStatus Status, int Length, BsonException? Error) Frame(ReadOnlySpan<byte> buffer, long offset)
    {
        try
        {
            return (BsonFramer.TryFrame(buffer, offset, BsonReader.DefaultMaxDocumentSize, out int length), length, null);
        }
        catch (BsonException ex)
        {
            return (default, 0, ex);
        }
    }

    private static (OperationStatus Status, int Length, BsonException? Error) Frame(in ReadOnlySequence<byte> buffer, long offset)
    {
        try
        {
            return (BsonFramer.TryFrame(buffer, offset, BsonReader.DefaultMaxDocumentSize, out int length), length, null);
        }
        catch (BsonException ex)
        {
            return (default, 0, ex);
        }
    }

    /// <summary>One document: walked with every typed accessor and validated; the two must agree.</summary>
    private static bool Reader(ReadOnlySpan<byte> input)
    {
        if (Read(input, Base) is { } refused)
        {
            CheckOffset(refused, Base, input.Length);
            return false;
        }
        return true;
    }

    // Null when the document is accepted, else the refusal (the walk's and the validator's must agree).
    private static BsonException? Read(ReadOnlySpan<byte> document, long baseOffset)
    {
        BsonException? walked = null, validated = null;
        int walkedCount = 0, validatedCount = 0;
        try
        {
            var reader = BsonReader.Create(document, baseOffset);
            walkedCount = AccessorWalk.Count(ref reader);
        }
        catch (BsonException ex)
        {
            walked = ex;
        }
        try
        {
            validatedCount = BsonValidator.Validate(document, baseOffset);
        }
        catch (BsonException ex)
        {
            validated = ex;
        }
        if ((walked?.Kind, walked?.Offset, walked?.Path, walkedCount) != (validated?.Kind, validated?.Offset, validated?.Path, validatedCount))
        {
            throw new FuzzInvariantException($"reader: the walk says {walked?.Message ?? "ok"} ({walkedCount} elements), the validator {validated?.Message ?? "ok"} ({validatedCount})");
        }
        return walked;
    }

    /// <summary>Mapping JSON: parsed and validated; a refusal must name the file and a line.</summary>
    private static bool Mapping(ReadOnlySpan<byte> input)
    {
        try
        {
            MappingParser.Parse(input, "fuzz.json");
            return true;
        }
        catch (MappingException ex)
        {
            // A lone CR counts too: System.Text.Json ends a // comment there and numbers the next line
            // (the parser's own LineIndex counts LF only; the crashes kept in FuzzRegressions/mapping).
            int lines = input.Count((byte)'\n') + input.Count((byte)'\r') + 1;
            if (ex.FileName != "fuzz.json" || ex.Line < 0 || ex.Line > lines || !ex.Message.StartsWith("fuzz.json:", StringComparison.Ordinal))
            {
                throw new FuzzInvariantException($"mapping: refusal names line {ex.Line} of {lines}: {ex.Message}");
            }
            return false;
        }
    }

    private static void CheckOffset(BsonException ex, long start, int length)
    {
        if (ex.Offset < start || ex.Offset > start + Math.Max(length - 1, 0) || !ex.Message.Contains($"byte offset {ex.Offset}", StringComparison.Ordinal))
        {
            throw new FuzzInvariantException($"offset {ex.Offset} outside its bytes ({start}..{start + length - 1}): {ex.Message}");
        }
    }
}

/// <summary>A target's invariant does not hold: a bug, reported to the fuzzer as a crash.</summary>
public sealed class FuzzInvariantException(string message) : Exception(message);
