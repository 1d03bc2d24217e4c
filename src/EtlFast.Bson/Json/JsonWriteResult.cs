namespace EtlFast.Bson.Json;

/// <summary>
/// What the caller must know about JSON just written, found while writing so it need not rescan the output.
/// </summary>
[Flags]
public enum JsonWriteResult
{
    /// <summary>Nothing to report.</summary>
    None = 0,

    /// <summary>
    /// A string value (string, symbol, code, DBPointer namespace) contained U+0000, written as <c>\u0000</c>.
    /// The JSON is valid, but PostgreSQL <c>jsonb</c> rejects <c>\u0000</c>, so a jsonb caller must treat
    /// the value as an error. (Keys and regex parts are cstrings and cannot contain U+0000.)
    /// </summary>
    ContainsNullCharacter = 1,

    /// <summary>
    /// An object (a BSON document at any depth) held the same key twice. The JSON keeps both, as the BSON
    /// did, but PostgreSQL <c>jsonb</c> keeps only the last, so a jsonb caller must treat the value as an error.
    /// </summary>
    RepeatedKey = 2,
}
