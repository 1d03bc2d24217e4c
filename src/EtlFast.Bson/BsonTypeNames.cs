namespace EtlFast.Bson;

public static class BsonTypeNames
{
    /// <summary>The name MongoDB's <c>$type</c> operator uses for a BSON type ("int", "long", "date", ...).</summary>
    public static string Of(BsonType type) => BsonThrow.TypeName(type);
}
