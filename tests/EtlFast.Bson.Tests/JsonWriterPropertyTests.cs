using System.Globalization;
using System.Text;
using CsCheck;
using EtlFast.Bson.Json;
using MongoDB.Bson;
using MongoDB.Bson.IO;
using MongoDB.Bson.Serialization;

namespace EtlFast.Bson.Tests;

/// <summary>
/// BsonJsonWriter against MongoDB.Bson's own relaxed Extended JSON over generated documents of every
/// type the object model can hold. Texts differ in spelling (spaces, "1E+300" vs "1.0000000000000001E+300",
/// ".000Z", \u escapes), so both are compared as values: ours is parsed back by MongoDB.Bson and written
/// again with its writer, which must then give exactly its own text for the original document.
/// </summary>
public sealed class JsonWriterPropertyTests
{
    private static readonly JsonWriterSettings Relaxed = new() { OutputMode = JsonOutputMode.RelaxedExtendedJson };

    private static readonly System.Text.Json.JsonDocumentOptions StrictJson = new() { MaxDepth = 256 };

    [Fact]
    public void Generated_documents_mean_what_MongoDB_Bson_writes()
    {
        Document(depth: 3).Sample(AgreesWithDriver, iter: 1500);
    }

    [Fact]
    public void Generated_scalars_mean_what_MongoDB_Bson_writes()
    {
        // Many small documents: each type seen in thousands of values.
        Scalar.Select(v => new BsonDocument("v", v)).Sample(AgreesWithDriver, iter: 20_000);
    }

    [Fact]
    public void Dates_in_range_match_the_round_trip_format()
    {
        Gen.Long[0, 253_402_300_799_999].Sample(ms =>
        {
            string expected = "{\"$date\":\"" + DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime
                .ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fff'Z'", CultureInfo.InvariantCulture) + "\"}";
            Assert.Equal(expected, JsonOut.FirstValue(new BsonDocument("v", new BsonDateTime(ms)).ToBson()));
        }, iter: 20_000);
    }

    [Fact]
    public void Doubles_parse_back_to_the_same_bits()
    {
        Double.Where(double.IsFinite).Sample(d =>
        {
            string json = JsonOut.FirstValue(new BsonDocument("v", new BsonDouble(d)).ToBson()); // (BsonValue)d would fold -0.0 into 0.0
            double back = double.Parse(json, NumberStyles.Float, CultureInfo.InvariantCulture);
            Assert.Equal(BitConverter.DoubleToInt64Bits(d), BitConverter.DoubleToInt64Bits(back));
            // Shortest round-trip text, kept recognisable as a double: "1.0", never "1".
            string shortest = d.ToString("R", CultureInfo.InvariantCulture);
            Assert.Equal(shortest.AsSpan().IndexOfAny('.', 'E') >= 0 ? shortest : shortest + ".0", json);
        }, iter: 50_000);
    }

    private static void AgreesWithDriver(BsonDocument doc)
    {
        byte[] bson = doc.ToBson();
        string ours = JsonOut.Document(bson, out JsonWriteResult result);
        // MongoDB.Bson's text for the same bytes (its writer normalises some values on the way to BSON,
        // e.g. old-binary subtype 0x02 becomes 0x00, so its text of the object model would differ).
        doc = BsonSerializer.Deserialize<BsonDocument>(bson);
        string theirs = doc.ToJson(Relaxed);

        // Strict RFC 8259 JSON, compact (no whitespace outside strings is ever needed).
        using (System.Text.Json.JsonDocument.Parse(ours, StrictJson))
        {
        }
        // The same values: MongoDB.Bson reads ours back into the document it wrote as theirs.
        Assert.Equal(theirs, BsonDocument.Parse(ours).ToJson(Relaxed));
        // The NUL flag is exactly "some string value holds U+0000".
        Assert.Equal(HasNulString(doc), result == JsonWriteResult.ContainsNullCharacter);
        // Chunked writing gives the same bytes.
        Assert.Equal(ours, JsonOut.DocumentStingy(bson, out JsonWriteResult stingyResult));
        Assert.Equal(result, stingyResult);
    }

    private static bool HasNulString(BsonValue value) => value switch
    {
        BsonString s => s.Value.Contains('\0', StringComparison.Ordinal),
        BsonSymbol s => s.Name.Contains('\0', StringComparison.Ordinal),
        BsonJavaScriptWithScope c => c.Code.Contains('\0', StringComparison.Ordinal) || HasNulString(c.Scope),
        BsonJavaScript c => c.Code.Contains('\0', StringComparison.Ordinal),
        BsonDocument d => d.Elements.Any(e => HasNulString(e.Value)),
        BsonArray a => a.Values.Any(HasNulString),
        _ => false,
    };

    // ----- generators -----

    /// <summary>Text weighted toward what JSON must escape and what UTF-8 spells in several bytes.</summary>
    private static Gen<string> Text(bool allowNul) =>
        Gen.Frequency(
            (8, Gen.Char['a', 'z'].Select(c => c.ToString())),
            (2, Gen.Char[allowNul ? '\0' : '\u0001', '\u001f'].Select(c => c.ToString())),
            (2, Gen.OneOfConst("\"", "\\", "/", " ", "\u007f", "\u2028")),
            (2, Gen.Char['\u0080', '\ud7ff'].Select(c => c.ToString())),
            (1, Gen.Char['\ue000', '\uffff'].Select(c => c.ToString())),
            (1, Gen.Int[0x10000, 0x10FFFF].Select(char.ConvertFromUtf32)))
        .Array[0, 12].Select(string.Concat);

    /// <summary>Field names: no NUL (cstrings) and no leading '$' (Extended JSON would read them as type wrappers).</summary>
    private static readonly Gen<string> Key = Text(allowNul: false).Where(k => !k.StartsWith('$'));

    private static readonly Gen<double> Double = Gen.Frequency(
        (3, Gen.Double),
        (3, Gen.Long.Select(BitConverter.Int64BitsToDouble)),
        (2, Gen.Int.Select(i => (double)i)),
        (2, Gen.Int[-180_000_000, 180_000_000].Select(i => i / 1e6)),
        (1, Gen.OneOfConst(0.0, -0.0, double.NaN, double.PositiveInfinity, double.NegativeInfinity, double.Epsilon,
            double.MaxValue, double.MinValue, 1e15, 1e16, 1e21, 1e-5, 1e-7, 123456789012345678.0)));

    private static readonly Gen<BsonValue> DecimalValue =
        from negative in Gen.Bool
        from digits in Gen.Char['0', '9'].Array[1, 34]
        from exponent in Gen.Frequency((4, Gen.Int[-40, 10]), (1, Gen.Int[-6176, 6111 - 33]))
        from special in Gen.Int[0, 20]
        select (BsonValue)(special switch
        {
            0 => Decimal128.QNaN,
            1 => Decimal128.PositiveInfinity,
            2 => Decimal128.NegativeInfinity,
            _ => Decimal128.Parse((negative ? "-" : "") + new string(digits) + "E" + exponent.ToString(CultureInfo.InvariantCulture)),
        });

    private static readonly Gen<BsonValue> BinaryValue =
        from kind in Gen.Int[0, 8]
        from bytes in Gen.Byte.Array[0, 40]
        from sixteen in Gen.Byte.Array[16]
        select (BsonValue)(kind switch
        {
            0 => new BsonBinaryData(sixteen, BsonBinarySubType.UuidStandard),
            1 => new BsonBinaryData(sixteen, BsonBinarySubType.UuidLegacy),
            2 => new BsonBinaryData(sixteen, BsonBinarySubType.MD5),
            3 => new BsonBinaryData(bytes, (BsonBinarySubType)0x02),
            4 => new BsonBinaryData(bytes, BsonBinarySubType.Function),
            5 => new BsonBinaryData(bytes, BsonBinarySubType.Encrypted),
            6 => new BsonBinaryData(bytes, BsonBinarySubType.UserDefined),
            7 => new BsonBinaryData(bytes, (BsonBinarySubType)0x8F),
            _ => new BsonBinaryData(bytes),
        });

    private static readonly Gen<BsonValue> RegexValue =
        from pattern in Text(allowNul: false)
        from options in Gen.OneOfConst('i', 'm', 's', 'u', 'x', 'l').Array[0, 4]
        select (BsonValue)new BsonRegularExpression(pattern, new string(options.Distinct().ToArray()));

    private static readonly Gen<BsonValue> Scalar = Gen.Frequency(
        (4, Double.Select(d => (BsonValue)new BsonDouble(d))),
        (4, Text(allowNul: true).Select(s => (BsonValue)s)),
        (2, Gen.Int.Select(i => (BsonValue)i)),
        (2, Gen.Long.Select(l => (BsonValue)l)),
        (1, Gen.Bool.Select(b => (BsonValue)b)),
        (2, Gen.Frequency((3, Gen.Long[-62_135_596_800_000, 253_402_300_799_999 * 2]), (1, Gen.Long))
            .Select(ms => (BsonValue)new BsonDateTime(ms))),
        (1, Gen.Byte.Array[12].Select(b => (BsonValue)new ObjectId(b))),
        (2, DecimalValue),
        (1, BinaryValue),
        (1, RegexValue),
        (1, Gen.Long.Select(l => (BsonValue)new BsonTimestamp(l))),
        (1, Text(allowNul: true).Select(s => (BsonValue)BsonSymbol.Create(s))),
        (1, Text(allowNul: true).Select(s => (BsonValue)new BsonJavaScript(s))),
        (1, Gen.OneOfConst<BsonValue>(BsonNull.Value, BsonUndefined.Value, BsonMinKey.Value, BsonMaxKey.Value)));

    private static Gen<BsonValue> Value(int depth) => depth == 0
        ? Scalar
        : Gen.Frequency(
            (6, Scalar),
            (1, Document(depth - 1).Select(d => (BsonValue)d)),
            (1, Value(depth - 1).Array[0, 5].Select(items => (BsonValue)new BsonArray(items))),
            (1, Gen.Select(Text(allowNul: true), Document(depth - 1), (code, scope) => (BsonValue)new BsonJavaScriptWithScope(code, scope))));

    private static Gen<BsonDocument> Document(int depth) =>
        Gen.Select(Key, Value(depth)).Array[0, 6].Select(fields =>
        {
            var doc = new BsonDocument();
            foreach ((string name, BsonValue value) in fields)
            {
                if (!doc.Contains(name))
                {
                    doc.Add(name, value);
                }
            }
            return doc;
        });
}
