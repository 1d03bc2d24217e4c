namespace EtlFast.Bson;

/// <summary>What was wrong with malformed BSON; stable, so callers and tests can match on it.</summary>
public enum BsonErrorKind
{
    /// <summary>A document's length prefix is below 5, beyond the maximum, or beyond the data.</summary>
    InvalidDocumentLength,
    /// <summary>A document does not end with its 0x00 terminator where its length says.</summary>
    MissingTerminator,
    /// <summary>An element's value runs past the end of its document.</summary>
    TruncatedValue,
    /// <summary>A string's length prefix is below 1, runs past the document, or its last byte is not 0x00.</summary>
    InvalidStringLength,
    /// <summary>A field name or string is not valid UTF-8.</summary>
    InvalidUtf8,
    /// <summary>An element type byte that the BSON specification does not define.</summary>
    UnknownType,
    /// <summary>A boolean byte other than 0x00 or 0x01.</summary>
    InvalidBoolean,
    /// <summary>A binary value with a negative length, an inconsistent old-binary (0x02) inner length, or a UUID (0x03, 0x04) not 16 bytes long.</summary>
    InvalidBinaryLength,
    /// <summary>Code-with-scope whose total length disagrees with its string and scope document.</summary>
    InvalidCodeWithScope,
    /// <summary>Documents and arrays nested deeper than <see cref="BsonReader.MaxDepth"/>.</summary>
    TooDeep,
    /// <summary>A field name (cstring) without its 0x00 terminator inside the document.</summary>
    UnterminatedName,
    /// <summary>A stream of documents ends inside a document.</summary>
    TruncatedDocument,
    /// <summary>
    /// The stream carrying the documents cannot be decompressed (a damaged or mislabelled .gz). Raised by
    /// the layer below the framer, with the offset it can know (see the message: compressed or decompressed).
    /// </summary>
    DecompressionFailed,
    /// <summary>
    /// A mongodump archive's framing is damaged (truncated, a CRC mismatch, a block the prelude does not
    /// list, a bad length). Raised by the archive reader below the framer, with the offset in the archive.
    /// </summary>
    ArchiveDamaged,
}
