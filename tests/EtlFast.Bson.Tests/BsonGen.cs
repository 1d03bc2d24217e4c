using System.Text;
using CsCheck;
using MongoDB.Bson;

namespace EtlFast.Bson.Tests;

/// <summary>
/// CsCheck generators of MongoDB.Bson documents covering every type MongoDB.Bson can encode (all but
/// DBPointer, which it does not model, and old binary 0x02, which it rewrites to 0x00 on output):
/// unicode names and strings, nesting, arrays, code-with-scope.
/// </summary>
public static class BsonGen
{
    private static readonly Gen<int> CodePoint = Gen.Frequency(
        (6, Gen.Int['a', 'z']),
        (1, Gen.Int[0x20, 0x7E]),
        (1, Gen.Int[0x80, 0x7FF]),
        (1, Gen.Int[0x800, 0xD7FF]),
        (1, Gen.Int[0xE000, 0xFFFF]),
        (1, Gen.Int[0x10000, 0x10FFFF]));

    /// <summary>Text of 0-12 code points, with 0x00 when <paramref name="allowNul"/>.</summary>
    public static Gen<string> Text(bool allowNul) =>
        (allowNul ? Gen.Frequency((20, CodePoint), (1, Gen.Const(0))) : CodePoint).Array[0, 12].Select(ToText);

    private static string ToText(int[] codePoints)
    {
        var sb = new StringBuilder();
        foreach (int cp in codePoints)
        {
            sb.Append(char.ConvertFromUtf32(cp));
        }
        return sb.ToString();
    }

    private static readonly Gen<string> Name = Text(allowNul: false);

    private static readonly Gen<BsonValue> Binary =
        Gen.Select(Gen.OneOfConst<byte>(0x00, 0x01, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x80, 0xC3), Gen.Byte.Array[0, 40], Gen.Byte.Array[16])
            .Select((sub, bytes, uuid) => (BsonValue)new BsonBinaryData(sub is 0x03 or 0x04 ? uuid : bytes, (BsonBinarySubType)sub));

    private static readonly Gen<BsonValue> Regex =
        Gen.Select(Name, Gen.Bool.Array[5]).Select((pattern, flags) =>
        {
            var options = new StringBuilder();
            for (int i = 0; i < 5; i++)
            {
                if (flags[i]) { options.Append("imsux"[i]); }
            }
            return (BsonValue)new BsonRegularExpression(pattern, options.ToString());
        });

    private static readonly Gen<BsonValue> Decimal = Gen.Frequency(
        (3, Gen.Decimal.Select(d => (BsonValue)new BsonDecimal128(new Decimal128(d)))),
        (1, Gen.Long.Select(l => (BsonValue)new BsonDecimal128(new Decimal128(l)))),
        (1, Gen.OneOfConst("NaN", "-Infinity", "Infinity", "1E+6144", "-1E-6176", "0E-6176", "9999999999999999999999999999999999")
            .Select(s => (BsonValue)new BsonDecimal128(Decimal128.Parse(s)))));

    public static readonly Gen<BsonValue> Leaf = Gen.OneOf<BsonValue>(
        Gen.Frequency((3, Gen.Double), (1, Gen.Long.Select(BitConverter.Int64BitsToDouble))).Select(d => (BsonValue)new BsonDouble(d)),
        Text(allowNul: true).Select(s => (BsonValue)new BsonString(s)),
        Binary,
        Gen.Const<BsonValue>(BsonUndefined.Value),
        Gen.Byte.Array[12].Select(b => (BsonValue)new BsonObjectId(new ObjectId(b))),
        Gen.Bool.Select(b => (BsonValue)(BsonBoolean)b),
        Gen.Long.Select(ms => (BsonValue)new BsonDateTime(ms)),
        Gen.Const<BsonValue>(BsonNull.Value),
        Regex,
        Text(allowNul: true).Select(s => (BsonValue)new BsonJavaScript(s)),
        Text(allowNul: true).Select(s => (BsonValue)(BsonSymbol)s),
        Gen.Int.Select(i => (BsonValue)new BsonInt32(i)),
        Gen.Long.Select(l => (BsonValue)new BsonTimestamp(l)),
        Gen.Long.Select(l => (BsonValue)new BsonInt64(l)),
        Decimal,
        Gen.Const<BsonValue>(BsonMinKey.Value),
        Gen.Const<BsonValue>(BsonMaxKey.Value));

    /// <summary>A document of up to 8 elements with unique names, nested up to 4 levels.</summary>
    public static readonly Gen<BsonDocument> Document = Gen.Recursive<BsonValue>((depth, value) =>
    {
        if (depth >= 4)
        {
            return Leaf;
        }
        Gen<BsonDocument> doc = Gen.Select(Name, value).Array[0, 8].Select(ToDocument);
        return Gen.Frequency(
            (12, Leaf),
            (2, doc.Select(d => (BsonValue)d)),
            (2, value.Array[0, 6].Select(items => (BsonValue)new BsonArray(items))),
            (1, Gen.Select(Text(allowNul: true), doc).Select((code, scope) => (BsonValue)new BsonJavaScriptWithScope(code, scope))));
    }).Select(Name, (v, n) => v is BsonDocument d ? d : new BsonDocument(n, v));

    private static BsonDocument ToDocument((string Name, BsonValue Value)[] elements)
    {
        var doc = new BsonDocument();
        foreach (var (name, value) in elements)
        {
            if (!doc.Contains(name))
            {
                doc.Add(name, value);
            }
        }
        return doc;
    }
}
