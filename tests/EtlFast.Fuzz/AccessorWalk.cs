using EtlFast.Bson;

namespace EtlFast.Fuzz;

/// <summary>
/// Walks a document calling every element's typed accessor, so that an accessor reading outside what
/// <see cref="BsonReader.Read"/> framed shows up as a crash. Counts elements as the validator does.
/// </summary>
internal static class AccessorWalk
{
    [ThreadStatic] private static long sink;

    public static int Count(ref BsonReader reader)
    {
        int count = 0;
        while (reader.Read())
        {
            count++;
            long v = reader.Name.Length;
            switch (reader.Type)
            {
                case BsonType.Document:
                case BsonType.Array:
                    var inner = reader.GetDocument();
                    count += Count(ref inner);
                    break;
                case BsonType.JavaScriptWithScope:
                    var scope = reader.GetCodeWithScope(out ReadOnlySpan<byte> code);
                    v += code.Length;
                    count += Count(ref scope);
                    break;
                case BsonType.Double: v += (long)reader.GetDouble(); break;
                case BsonType.String:
                case BsonType.JavaScript:
                case BsonType.Symbol: v += reader.GetStringUtf8().Length; break;
                case BsonType.Binary: v += reader.GetBinary(out BsonBinarySubtype subtype).Length + (byte)subtype; break;
                case BsonType.ObjectId: v += reader.GetObjectId()[11]; break;
                case BsonType.Boolean: v += reader.GetBoolean() ? 1 : 0; break;
                case BsonType.DateTime: v += reader.GetDateTime(); break;
                case BsonType.Regex: v += reader.GetRegex(out ReadOnlySpan<byte> options).Length + options.Length; break;
                case BsonType.DBPointer: v += reader.GetDBPointer(out ReadOnlySpan<byte> oid).Length + oid[11]; break;
                case BsonType.Int32: v += reader.GetInt32(); break;
                case BsonType.Timestamp: v += reader.GetTimestamp().Increment; break;
                case BsonType.Int64: v += reader.GetInt64(); break;
                case BsonType.Decimal128: v += (long)reader.GetDecimal128().Low; break;
                default: v += reader.ValueBytes.Length; break;
            }
            sink += v;
        }
        return count;
    }
}
