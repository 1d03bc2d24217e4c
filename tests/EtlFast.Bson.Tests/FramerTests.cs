using System.Buffers;
using System.Buffers.Binary;
using EtlFast.Benchmarks;

namespace EtlFast.Bson.Tests;

public sealed class FramerTests
{
    private const int Max = BsonReader.DefaultMaxDocumentSize;

    private static readonly byte[][] Docs = [.. SeedDocuments.Build(3, seed: 11), [5, 0, 0, 0, 0], [.. CorpusCase.All.First(c => c.Description == "every type once").Bson]];

    private static readonly byte[] Stream = Docs.SelectMany(d => d).ToArray();

    [Fact]
    public void Stream_split_in_two_at_every_point_frames_every_document()
    {
        for (int cut = 0; cut <= Stream.Length; cut++)
        {
            AssertFramesAll(Segments.At(Stream, [cut]), $"cut at {cut}");
        }
    }

    [Fact]
    public void Stream_in_random_segment_sizes_frames_every_document()
    {
        var rng = new Random(17);
        for (int round = 0; round < 300; round++)
        {
            var cuts = new List<int>();
            for (int at = rng.Next(0, 9); at < Stream.Length; at += rng.Next(0, round % 3 == 0 ? 5 : 700))
            {
                cuts.Add(at); // zero steps give empty segments, which a pipe may hand over too
            }
            AssertFramesAll(Segments.At(Stream, cuts), $"round {round}");
        }
    }

    [Fact]
    public void Bytes_arriving_in_chunks_are_framed_with_need_more_data_in_between()
    {
        var rng = new Random(23);
        var buffer = new List<byte>();
        var framed = new List<int>();
        long consumedTotal = 0;
        int fed = 0, needMore = 0;
        while (fed < Stream.Length || buffer.Count > 0)
        {
            int chunk = Math.Min(rng.Next(1, 300), Stream.Length - fed);
            buffer.AddRange(Stream.AsSpan(fed, chunk));
            fed += chunk;
            while (true)
            {
                OperationStatus status = BsonFramer.TryFrame(buffer.ToArray(), consumedTotal, Max, out int length);
                if (status == OperationStatus.NeedMoreData)
                {
                    needMore++;
                    break;
                }
                Assert.Equal(OperationStatus.Done, status);
                framed.Add(length);
                buffer.RemoveRange(0, length);
                consumedTotal += length;
            }
            if (fed == Stream.Length)
            {
                BsonFramer.CheckEndOfStream(buffer.Count, consumedTotal);
                break;
            }
        }
        Assert.Equal(Docs.Select(d => d.Length), framed);
        Assert.True(needMore > Docs.Length, "chunks smaller than documents must ask for more data");
    }

    [Fact]
    public void Every_proper_prefix_of_a_document_needs_more_data()
    {
        byte[] doc = Docs[0];
        for (int n = 0; n < doc.Length; n++)
        {
            Assert.Equal(OperationStatus.NeedMoreData, BsonFramer.TryFrame(doc.AsSpan(0, n), 0, Max, out int length));
            Assert.Equal(0, length);
            Assert.Equal(OperationStatus.NeedMoreData, BsonFramer.TryFrame(Segments.Split(doc[..n], 3), 0, Max, out _));
        }
        Assert.Equal(OperationStatus.Done, BsonFramer.TryFrame(doc, 0, Max, out int whole));
        Assert.Equal(doc.Length, whole);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    [InlineData(1025)]
    [InlineData(int.MaxValue)]
    public void Length_prefix_outside_5_to_max_is_an_error_at_the_document_start(int prefix)
    {
        byte[] data = new byte[16];
        BinaryPrimitives.WriteInt32LittleEndian(data, prefix);
        var ex = Assert.Throws<BsonException>(() => BsonFramer.TryFrame(data.AsSpan(0, 4), 900, 1024, out _));
        Assert.Equal((BsonErrorKind.InvalidDocumentLength, 900L, ""), (ex.Kind, ex.Offset, ex.Path));
        // The prefix straddling two segments is read the same way.
        var split = Assert.Throws<BsonException>(() => BsonFramer.TryFrame(Segments.At(data, [1, 3]), 900, 1024, out _));
        Assert.Equal((BsonErrorKind.InvalidDocumentLength, 900L), (split.Kind, split.Offset));
    }

    [Fact]
    public void Whole_document_without_its_terminator_is_an_error_at_its_last_byte()
    {
        byte[] data = [.. Docs[0]];
        data[^1] = 7;
        var ex = Assert.Throws<BsonException>(() => BsonFramer.TryFrame(data, 5000, Max, out _));
        Assert.Equal((BsonErrorKind.MissingTerminator, 5000L + data.Length - 1), (ex.Kind, ex.Offset));
        var split = Assert.Throws<BsonException>(() => BsonFramer.TryFrame(Segments.Split(data, 100), 5000, Max, out _));
        Assert.Equal((BsonErrorKind.MissingTerminator, 5000L + data.Length - 1), (split.Kind, split.Offset));
        // Until the last byte has arrived there is nothing to complain about.
        Assert.Equal(OperationStatus.NeedMoreData, BsonFramer.TryFrame(data.AsSpan(0, data.Length - 1), 5000, Max, out _));
    }

    [Fact]
    public void Document_of_exactly_the_maximum_size_is_accepted()
    {
        byte[] data = [64, 0, 0, 0, .. new byte[60]];
        Assert.Equal(OperationStatus.Done, BsonFramer.TryFrame(data, 0, 64, out int length));
        Assert.Equal(64, length);
        Assert.Throws<BsonException>(() => BsonFramer.TryFrame(data, 0, 63, out _));
    }

    [Fact]
    public void End_of_stream_inside_a_document_is_an_error_and_a_clean_end_is_not()
    {
        BsonFramer.CheckEndOfStream(0, 123);
        var ex = Assert.Throws<BsonException>(() => BsonFramer.CheckEndOfStream(17, 123));
        Assert.Equal((BsonErrorKind.TruncatedDocument, 123L), (ex.Kind, ex.Offset));
        Assert.Contains("17 bytes", ex.Message);
    }

    private static void AssertFramesAll(ReadOnlySequence<byte> sequence, string what)
    {
        long consumed = 0;
        foreach (byte[] doc in Docs)
        {
            ReadOnlySequence<byte> rest = sequence.Slice(consumed);
            var status = BsonFramer.TryFrame(rest, consumed, Max, out int length);
            Assert.True(status == OperationStatus.Done && length == doc.Length, $"{what}: {status} {length} at {consumed}");
            // A sequence cut one byte short of the document asks for more.
            Assert.Equal(OperationStatus.NeedMoreData, BsonFramer.TryFrame(rest.Slice(0, length - 1), consumed, Max, out _));
            consumed += length;
        }
        Assert.Equal(OperationStatus.NeedMoreData, BsonFramer.TryFrame(sequence.Slice(consumed), consumed, Max, out _));
    }
}
