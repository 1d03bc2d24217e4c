namespace EtlFast.Core.Mapping;

/// <summary>
/// Reads a mapping file: JSON with <c>//</c> and <c>/* */</c> comments and trailing commas, one source
/// collection to one or more tables (docs/mapping.md). Every mistake is a <see cref="MappingException"/>
/// naming the file, the line of the offending token and what to do about it.
/// </summary>
public static class MappingParser
{
    /// <summary>Reads and validates the mapping at <paramref name="path"/> (I/O errors propagate as they are).</summary>
    public static MappingDocument ParseFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes = File.ReadAllBytes(path);
        return Parse(bytes, path);
    }

    /// <summary>Validates UTF-8 mapping JSON; <paramref name="fileName"/> only labels messages.</summary>
    public static MappingDocument Parse(ReadOnlySpan<byte> utf8Json, string fileName) => Parse(utf8Json, fileName, referencesOutside: false);

    /// <summary>
    /// As <see cref="Parse(ReadOnlySpan{byte}, string)"/>; with <paramref name="referencesOutside"/>, a reference to a table the
    /// file does not define is kept in <see cref="MappingDocument.ExternalReferences"/> for <see cref="MappingSet"/> to check.
    /// </summary>
    internal static MappingDocument Parse(ReadOnlySpan<byte> utf8Json, string fileName, bool referencesOutside)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        MappingNode root = MappingTreeReader.Read(utf8Json, fileName);
        return new MappingReader(fileName, referencesOutside).Read(root);
    }
}
