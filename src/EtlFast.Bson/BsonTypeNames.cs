namespace EtlFast.Bson;

/// <summary>Names of BSON types for people.</summary>
public static class BsonTypeNames
{
    /// <summary>
    /// A short name for a BSON type, for messages: the alias MongoDB's <c>$type</c> operator uses ("int",
    /// "long", "date", ...) except "document" (<c>$type</c>: "object") and "binary" ("binData"), which read
    /// better in a sentence.
    /// </summary>
    public static string Of(BsonType type) => BsonThrow.TypeName(type);
}
