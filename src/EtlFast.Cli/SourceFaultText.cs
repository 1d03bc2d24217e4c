using EtlFast.Bson;

namespace EtlFast.Cli;

/// <summary>How load, verify and infer word a source that stops being readable part-way (corrupt BSON, a damaged .gz or mongodump archive).</summary>
internal static class SourceFaultText
{
    /// <summary>A damaged .gz or archive is described by the stream that found it (with its offset and, for an archive, the namespace); anything else is BSON that does not parse.</summary>
    public static string Primary(BsonException e) =>
        IsDecompression(e) ? e.Message : $"the source is not valid BSON: {e.Message}";

    /// <summary>True when the file's container (gzip, mongodump archive) is damaged, rather than a document in it.</summary>
    public static bool IsDecompression(BsonException e) => e.Kind is BsonErrorKind.DecompressionFailed or BsonErrorKind.ArchiveDamaged;

    /// <summary>What to do about a damaged .gz, after what the command did before it stopped.</summary>
    public static string DecompressionHint(string before) =>
        $"{before}; the file itself is damaged: a --resume or a re-run reads it again and stops at the same place, so copy or download it again first (or load the .bson it was made from)";
}
