using System.Buffers;
using CsCheck;
using MongoDB.Bson;

namespace EtlFast.Bson.Tests;

/// <summary>
/// Random documents encoded by MongoDB.Bson (the oracle) must walk, element for element, to the same
/// (dotted path, type, value) sequence with our reader as the oracle's own object model gives.
/// </summary>
public sealed class ReaderPropertyTests
{
    [Fact]
    public void Reader_yields_what_MongoDB_Bson_encoded()
    {
        BsonGen.Document.Sample(doc =>
        {
            byte[] bson = doc.ToBson();
            List<WalkItem> expected = OracleWalk.Of(doc);
            List<WalkItem> actual = ReaderWalk.Of(bson, 12345);
            Assert.Equal(expected, actual);
        }, iter: 3000, seed: "0N0XIzNsQ0O2");
    }

    [Fact]
    public void Validator_counts_every_element_the_oracle_has()
    {
        BsonGen.Document.Sample(doc =>
        {
            byte[] bson = doc.ToBson();
            Assert.Equal(OracleWalk.Of(doc).Count, BsonValidator.Validate(bson, 0));
        }, iter: 1000, seed: "0N0XIzNsQ0O3");
    }

    [Fact]
    public void Framer_finds_each_document_in_a_stream_of_random_documents()
    {
        Gen.Select(BsonGen.Document.Array[1, 8], Gen.Int[1, 64]).Sample((docs, segmentSize) =>
        {
            byte[][] encoded = docs.Select(d => d.ToBson()).ToArray();
            byte[] stream = encoded.SelectMany(b => b).ToArray();
            var sequence = Segments.Split(stream, segmentSize);
            long consumed = 0;
            foreach (byte[] expected in encoded)
            {
                Assert.Equal(OperationStatus.Done,
                    BsonFramer.TryFrame(sequence.Slice(consumed), consumed, BsonReader.DefaultMaxDocumentSize, out int length));
                Assert.Equal(expected.Length, length);
                consumed += length;
            }
            Assert.Equal(stream.Length, consumed);
        }, iter: 300, seed: "0N0XIzNsQ0O4");
    }
}
