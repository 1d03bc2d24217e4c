using System.Buffers;

namespace EtlFast.Bson.Tests;

/// <summary>Builds multi-segment <see cref="ReadOnlySequence{T}"/>s, as a pipe would hand them over.</summary>
public static class Segments
{
    /// <summary>The bytes cut into segments of <paramref name="size"/> (the last may be shorter).</summary>
    public static ReadOnlySequence<byte> Split(byte[] data, int size)
    {
        var cuts = new List<int>();
        for (int at = size; at < data.Length; at += size)
        {
            cuts.Add(at);
        }
        return At(data, cuts);
    }

    /// <summary>The bytes cut at the given ascending positions (empty segments allowed).</summary>
    public static ReadOnlySequence<byte> At(byte[] data, IReadOnlyList<int> cuts)
    {
        Segment? first = null, last = null;
        int start = 0;
        for (int i = 0; i <= cuts.Count; i++)
        {
            int end = i < cuts.Count ? cuts[i] : data.Length;
            var memory = new ReadOnlyMemory<byte>(data, start, end - start);
            if (first is null)
            {
                first = last = new Segment(memory, 0);
            }
            else
            {
                last = last!.Append(memory);
            }
            start = end;
        }
        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
