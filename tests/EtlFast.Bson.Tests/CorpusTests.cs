using System.Buffers;

namespace EtlFast.Bson.Tests;

/// <summary>Runs our decode corpus through the reader, the validator and the framer.</summary>
public sealed class CorpusTests
{
    // Documents are placed as if they sat this far into a stream: offsets must be absolute.
    private const long Base = 1_000_000_007;

    [Theory]
    [MemberData(nameof(CorpusCase.Valid), MemberType = typeof(CorpusCase))]
    public void Valid_document_walks_to_the_expected_elements(string file, string description)
    {
        CorpusCase c = CorpusCase.Find(file, description);
        List<WalkItem> items = ReaderWalk.Of(c.Bson, Base);
        Assert.Equal(c.Elements!, items);
    }

    [Theory]
    [MemberData(nameof(CorpusCase.Valid), MemberType = typeof(CorpusCase))]
    public void Valid_document_passes_the_validator_which_counts_every_element(string file, string description)
    {
        CorpusCase c = CorpusCase.Find(file, description);
        Assert.Equal(c.Elements!.Length, BsonValidator.Validate(c.Bson, Base));
    }

    [Theory]
    [MemberData(nameof(CorpusCase.Valid), MemberType = typeof(CorpusCase))]
    public void Valid_document_is_framed_whole_when_followed_by_more_bytes(string file, string description)
    {
        CorpusCase c = CorpusCase.Find(file, description);
        byte[] stream = [.. c.Bson, 0x42, 0x00, 0x00];
        Assert.Equal(OperationStatus.Done, BsonFramer.TryFrame(stream, Base, BsonReader.DefaultMaxDocumentSize, out int length));
        Assert.Equal(c.Bson.Length, length);
    }

    [Theory]
    [MemberData(nameof(CorpusCase.DecodeErrors), MemberType = typeof(CorpusCase))]
    public void Decode_error_is_reported_with_kind_offset_and_path_by_the_reader(string file, string description)
    {
        CorpusCase c = CorpusCase.Find(file, description);
        var ex = Assert.Throws<BsonException>(() => ReaderWalk.Of(c.Bson, Base));
        AssertError(c, ex);
    }

    [Theory]
    [MemberData(nameof(CorpusCase.DecodeErrors), MemberType = typeof(CorpusCase))]
    public void Decode_error_is_reported_identically_by_the_validator(string file, string description)
    {
        CorpusCase c = CorpusCase.Find(file, description);
        var ex = Assert.Throws<BsonException>(() => BsonValidator.Validate(c.Bson, Base));
        AssertError(c, ex);
    }

    [Fact]
    public void Corpus_has_valid_cases_for_every_bson_type()
    {
        var seen = CorpusCase.All.Where(c => c.Elements is not null)
            .SelectMany(c => c.Elements!).Select(e => e.Type).ToHashSet();
        foreach (BsonType type in Enum.GetValues<BsonType>().Where(t => t != BsonType.EndOfDocument))
        {
            Assert.Contains(type.ToString(), seen);
        }
        var subtypes = CorpusCase.All.Where(c => c.Elements is not null).SelectMany(c => c.Elements!)
            .Where(e => e.Type == "Binary").Select(e => Convert.ToByte(e.Value[..2], 16)).ToHashSet();
        foreach (BsonBinarySubtype subtype in Enum.GetValues<BsonBinarySubtype>())
        {
            Assert.Contains((byte)subtype, subtypes);
        }
    }

    [Fact]
    public void Corpus_has_decode_errors_of_every_document_level_kind()
    {
        var seen = CorpusCase.All.Where(c => c.Kind is not null).Select(c => c.Kind!.Value).ToHashSet();
        foreach (BsonErrorKind kind in Enum.GetValues<BsonErrorKind>().Where(k => k is not (BsonErrorKind.TruncatedDocument or BsonErrorKind.DecompressionFailed or BsonErrorKind.ArchiveDamaged)))
        {
            Assert.Contains(kind, seen);
        }
    }

    private static void AssertError(CorpusCase c, BsonException ex)
    {
        Assert.Equal((c.Kind, Base + c.Offset, c.Path), (ex.Kind, ex.Offset, ex.Path));
        Assert.Contains($"byte offset {Base + c.Offset}", ex.Message);
    }
}
