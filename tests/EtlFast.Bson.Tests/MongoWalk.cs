using System.Globalization;
using MongoDB.Bson;
using MongoDB.Bson.IO;

namespace EtlFast.Bson.Tests;

/// <summary>
/// Walks raw bytes with MongoDB.Bson's own <see cref="BsonBinaryReader"/> (an independent decoder, not
/// its object model, so duplicate names and DBPointers are read as they are) into the same
/// <see cref="WalkItem"/> shape as <see cref="ReaderWalk"/>. Throws whatever MongoDB.Bson throws on
/// malformed input. MongoDB.Bson skips array element names unread, so array items are named by position.
/// </summary>
public static class MongoWalk
{
    private static readonly BsonBinaryReaderSettings Settings = new()
    {
        // Keep subtype 0x02 as it is encoded (by default MongoDB.Bson rewrites it to 0x00).
        FixOldBinarySubTypeOnInput = false,
        MaxDocumentSize = BsonReader.DefaultMaxDocumentSize,
    };

    public static List<WalkItem> Of(byte[] document)
    {
        var items = new List<WalkItem>();
        using var stream = new MemoryStream(document, writable: false);
        using var reader = new BsonBinaryReader(stream, Settings);
        reader.ReadStartDocument();
        VisitDocument(reader, null, items);
        reader.ReadEndDocument();
        if (stream.Position != document.Length)
        {
            throw new TrailingBytesException(document.Length - stream.Position);
        }
        return items;
    }

    private static void VisitDocument(BsonBinaryReader reader, string? prefix, List<WalkItem> items)
    {
        while (reader.ReadBsonType() != MongoDB.Bson.BsonType.EndOfDocument)
        {
            Visit(reader, Render.Join(prefix, reader.ReadName()), items);
        }
    }

    private static void Visit(BsonBinaryReader reader, string path, List<WalkItem> items)
    {
        MongoDB.Bson.BsonType type = reader.CurrentBsonType;
        string value;
        switch (type)
        {
            case MongoDB.Bson.BsonType.Document:
                items.Add(new WalkItem(path, "Document", ""));
                reader.ReadStartDocument();
                VisitDocument(reader, path, items);
                reader.ReadEndDocument();
                return;
            case MongoDB.Bson.BsonType.Array:
                items.Add(new WalkItem(path, "Array", ""));
                reader.ReadStartArray();
                for (int i = 0; reader.ReadBsonType() != MongoDB.Bson.BsonType.EndOfDocument; i++)
                {
                    Visit(reader, path + "." + i.ToString(CultureInfo.InvariantCulture), items);
                }
                reader.ReadEndArray();
                return;
            case MongoDB.Bson.BsonType.JavaScriptWithScope:
                items.Add(new WalkItem(path, "JavaScriptWithScope", reader.ReadJavaScriptWithScope()));
                reader.ReadStartDocument();
                VisitDocument(reader, path + ".$scope", items);
                reader.ReadEndDocument();
                return;
            case MongoDB.Bson.BsonType.Double: value = Render.Double(reader.ReadDouble()); break;
            case MongoDB.Bson.BsonType.String: value = reader.ReadString(); break;
            case MongoDB.Bson.BsonType.JavaScript: value = reader.ReadJavaScript(); break;
            case MongoDB.Bson.BsonType.Symbol: value = reader.ReadSymbol(); break;
            case MongoDB.Bson.BsonType.Binary:
                BsonBinaryData bin = reader.ReadBinaryData();
                value = Render.Binary((byte)bin.SubType, bin.Bytes);
                break;
            case MongoDB.Bson.BsonType.Undefined: reader.ReadUndefined(); value = ""; break;
            case MongoDB.Bson.BsonType.ObjectId: value = Convert.ToHexStringLower(reader.ReadObjectId().ToByteArray()); break;
            case MongoDB.Bson.BsonType.Boolean: value = reader.ReadBoolean() ? "true" : "false"; break;
            case MongoDB.Bson.BsonType.DateTime: value = reader.ReadDateTime().ToString(CultureInfo.InvariantCulture); break;
            case MongoDB.Bson.BsonType.Null: reader.ReadNull(); value = ""; break;
            case MongoDB.Bson.BsonType.RegularExpression:
                BsonRegularExpression re = reader.ReadRegularExpression();
                value = Render.Regex(re.Pattern, re.Options);
                break;
            case MongoDB.Bson.BsonType.Int32: value = reader.ReadInt32().ToString(CultureInfo.InvariantCulture); break;
            case MongoDB.Bson.BsonType.Timestamp:
                long ts = reader.ReadTimestamp();
                value = Render.Timestamp((uint)(ts >> 32), (uint)ts);
                break;
            case MongoDB.Bson.BsonType.Int64: value = reader.ReadInt64().ToString(CultureInfo.InvariantCulture); break;
            case MongoDB.Bson.BsonType.Decimal128:
                Decimal128 dec = reader.ReadDecimal128();
                value = Render.Decimal128(dec.GetIEEEHighBits(), dec.GetIEEELowBits());
                break;
            case MongoDB.Bson.BsonType.MinKey: reader.ReadMinKey(); value = ""; break;
            case MongoDB.Bson.BsonType.MaxKey: reader.ReadMaxKey(); value = ""; break;
            default: throw new InvalidOperationException($"MongoDB.Bson yielded type {type}");
        }
        items.Add(new WalkItem(path, Names.Of(type), value));
    }

    // Our type names (EtlFast.Bson.BsonType) for MongoDB.Bson's, where they differ.
    private static class Names
    {
        public static string Of(MongoDB.Bson.BsonType type) => type switch
        {
            MongoDB.Bson.BsonType.RegularExpression => "Regex",
            MongoDB.Bson.BsonType.JavaScript => "JavaScript",
            _ => type.ToString(),
        };
    }
}

/// <summary>MongoDB.Bson read a whole document but the input holds more bytes than its length prefix.</summary>
public sealed class TrailingBytesException(long count) : Exception($"{count} bytes follow the document");
