namespace EtlFast.Bson;

/// <summary>The element type bytes of the BSON 1.1 specification.</summary>
public enum BsonType : byte
{
    EndOfDocument = 0x00,
    Double = 0x01,
    String = 0x02,
    Document = 0x03,
    Array = 0x04,
    Binary = 0x05,
    Undefined = 0x06,
    ObjectId = 0x07,
    Boolean = 0x08,
    DateTime = 0x09,
    Null = 0x0A,
    Regex = 0x0B,
    DBPointer = 0x0C,
    JavaScript = 0x0D,
    Symbol = 0x0E,
    JavaScriptWithScope = 0x0F,
    Int32 = 0x10,
    Timestamp = 0x11,
    Int64 = 0x12,
    Decimal128 = 0x13,
    MaxKey = 0x7F,
    MinKey = 0xFF,
}

/// <summary>Binary subtypes with a meaning of their own.</summary>
public enum BsonBinarySubtype : byte
{
    Generic = 0x00,
    Function = 0x01,
    BinaryOld = 0x02,
    UuidLegacy = 0x03,
    Uuid = 0x04,
    Md5 = 0x05,
    Encrypted = 0x06,
    Column = 0x07,
    Sensitive = 0x08,
    Vector = 0x09,
    UserDefined = 0x80,
}
