using System.Globalization;

namespace EtlFast.Bson.Tests;

/// <summary>Walks a document with <see cref="BsonReader"/>, every value through its typed accessor.</summary>
public static class ReaderWalk
{
    public static List<WalkItem> Of(ReadOnlySpan<byte> document, long baseOffset = 0) => Of(document, baseOffset, positional: false);

    /// <summary>
    /// As <see cref="Of(ReadOnlySpan{byte}, long)"/>, with <paramref name="positional"/> naming array items
    /// by their position whatever key bytes they carry (as <see cref="MongoWalk"/> does).
    /// </summary>
    public static List<WalkItem> Of(ReadOnlySpan<byte> document, long baseOffset, bool positional)
    {
        var items = new List<WalkItem>();
        var reader = BsonReader.Create(document, baseOffset);
        Visit(ref reader, null, items, positional, isArray: false, document.Length);
        return items;
    }

    /// <param name="limit">Items the input can hold at most (an element takes at least its type byte and its name's NUL):
    /// a walk past it is a reader that does not advance, failed here instead of looping for ever.</param>
    private static void Visit(ref BsonReader reader, string? prefix, List<WalkItem> items, bool positional, bool isArray, int limit)
    {
        for (int index = 0; reader.Read(); index++)
        {
            if (items.Count >= limit)
            {
                throw new InvalidOperationException($"the reader yielded more than {limit} elements from {limit} bytes: it does not advance");
            }
            string name = positional && isArray ? index.ToString(CultureInfo.InvariantCulture) : Render.Utf8(reader.Name);
            string path = Render.Join(prefix, name);
            BsonType type = reader.Type;
            string value;
            switch (type)
            {
                case BsonType.Document:
                case BsonType.Array:
                    items.Add(new WalkItem(path, type.ToString(), ""));
                    var nested = reader.GetDocument();
                    Visit(ref nested, path, items, positional, type == BsonType.Array, limit);
                    continue;
                case BsonType.JavaScriptWithScope:
                    var scope = reader.GetCodeWithScope(out ReadOnlySpan<byte> code);
                    items.Add(new WalkItem(path, type.ToString(), Render.Utf8(code)));
                    Visit(ref scope, path + ".$scope", items, positional, isArray: false, limit);
                    continue;
                case BsonType.Double: value = Render.Double(reader.GetDouble()); break;
                case BsonType.String:
                case BsonType.JavaScript:
                case BsonType.Symbol: value = Render.Utf8(reader.GetStringUtf8()); break;
                case BsonType.Binary:
                    var payload = reader.GetBinary(out BsonBinarySubtype subtype);
                    value = Render.Binary((byte)subtype, payload);
                    break;
                case BsonType.ObjectId: value = Convert.ToHexStringLower(reader.GetObjectId()); break;
                case BsonType.Boolean: value = reader.GetBoolean() ? "true" : "false"; break;
                case BsonType.DateTime: value = reader.GetDateTime().ToString(CultureInfo.InvariantCulture); break;
                case BsonType.Regex:
                    var pattern = reader.GetRegex(out ReadOnlySpan<byte> options);
                    value = Render.Regex(Render.Utf8(pattern), Render.Utf8(options));
                    break;
                case BsonType.DBPointer:
                    var ns = reader.GetDBPointer(out ReadOnlySpan<byte> oid);
                    value = Render.DBPointer(Render.Utf8(ns), oid);
                    break;
                case BsonType.Int32: value = reader.GetInt32().ToString(CultureInfo.InvariantCulture); break;
                case BsonType.Timestamp:
                    var (seconds, increment) = reader.GetTimestamp();
                    value = Render.Timestamp(seconds, increment);
                    break;
                case BsonType.Int64: value = reader.GetInt64().ToString(CultureInfo.InvariantCulture); break;
                case BsonType.Decimal128:
                    var bits = reader.GetDecimal128();
                    value = Render.Decimal128(bits.High, bits.Low);
                    break;
                case BsonType.Undefined:
                case BsonType.Null:
                case BsonType.MinKey:
                case BsonType.MaxKey: value = ""; break;
                default: throw new InvalidOperationException($"reader yielded type {type}");
            }
            items.Add(new WalkItem(path, type.ToString(), value));
        }
    }
}
