using MongoDB.Bson;

namespace EtlFast.Core.Tests.LiveSource;

/// <summary>
/// Collections whose <c>_id</c>s span type groups. Every document has a unique "i" (its position in the
/// list) and a "tag" naming the kind of its <c>_id</c>, so a test can tell which ones came back how often.
/// </summary>
internal static class MixedIds
{
    /// <summary>ObjectId, string, int32, int64 and double <c>_id</c>s, interleaved; enough of each that the planner splits the big groups.</summary>
    public static List<BsonDocument> Common(int perKind = 700)
    {
        var ids = new List<(BsonValue Id, string Tag)>();
        var start = new DateTime(2023, 3, 1, 0, 0, 0, DateTimeKind.Utc);
        for (int k = 0; k < perKind; k++)
        {
            // ObjectIds spread over two years, with varying random bytes and counters.
            var oid = Oid((int)(new DateTimeOffset(start).ToUnixTimeSeconds() + (k * 89_940L)), (k * 7919) % 16_777_215, k * 31);
            ids.Add((oid, "oid"));
            ids.Add(($"user-{k * 37 % perKind:D5}-{(char)('a' + (k % 26))}", "string"));
            ids.Add((new BsonInt32((k * 3) - 100), "int32"));                 // -100 .. 3*perKind
            ids.Add((new BsonInt64(5_000_000_000L + (k * 1_000_003L)), "int64"));
            ids.Add((new BsonDouble((k * 2.5) + 0.25), "double"));             // never a whole number: no clash with the ints
        }
        return Numbered(ids);
    }

    /// <summary>Every type group the planner knows, several of them large enough to be split.</summary>
    public static List<BsonDocument> EveryGroup()
    {
        var ids = new List<(BsonValue Id, string Tag)>
        {
            (BsonMinKey.Value, "minkey"),
            (BsonNull.Value, "null"),
            (new BsonDouble(double.NaN), "nan"),
            (new BsonDouble(double.NegativeInfinity), "-inf"),
            (new BsonDouble(double.PositiveInfinity), "+inf"),
            (new BsonDecimal128(Decimal128.Parse("12345678901234567890.5")), "decimal"),
            (new BsonDecimal128(Decimal128.Parse("-0.125")), "decimal"),
            (new BsonString(""), "string"),
            (new BsonString("ж-😀"), "string"),
            (BsonSymbol.Create("sym"), "symbol"),
            (BsonBoolean.False, "bool"),
            (BsonBoolean.True, "bool"),
            (new BsonJavaScript("function () { return 1; }"), "code"),
            (new BsonJavaScript("x"), "code"),
            (new BsonJavaScriptWithScope("y", new BsonDocument("a", 1)), "codews"),
            (BsonMaxKey.Value, "maxkey"),
        };
        foreach (BsonDocument d in Common(600))
        {
            ids.Add((d["_id"], d["tag"].AsString));
        }
        var start = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        for (int k = 0; k < 600; k++)
        {
            ids.Add((new BsonDateTime(start.AddHours(k * 7.5)), "date"));
            ids.Add((new BsonTimestamp(1_600_000_000 + (k * 97), k % 5), "timestamp"));
        }
        for (int k = 0; k < 30; k++)
        {
            ids.Add((new BsonDocument { { "a", k % 4 }, { "b", $"x{k}" } }, "document"));
            ids.Add((new BsonBinaryData([(byte)k, (byte)(k * 3), 7], BsonBinarySubType.Binary), "binary"));
        }
        ids.Add((new BsonInt64(long.MinValue), "int64"));
        ids.Add((new BsonInt64(long.MaxValue), "int64"));
        return Numbered(ids);
    }

    /// <summary>An ObjectId as mongod lays it out: 4 bytes of seconds, 5 random bytes, a 3-byte counter (all big-endian).</summary>
    public static ObjectId Oid(int seconds, int random, int counter)
    {
        var b = new byte[12];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(b, seconds);
        b[4] = (byte)(random >> 16);
        b[5] = (byte)(random >> 8);
        b[6] = (byte)random;
        b[7] = (byte)(random * 13);
        b[8] = (byte)(random * 29);
        b[9] = (byte)(counter >> 16);
        b[10] = (byte)(counter >> 8);
        b[11] = (byte)counter;
        return new ObjectId(b);
    }

    private static List<BsonDocument> Numbered(List<(BsonValue Id, string Tag)> ids)
    {
        var docs = new List<BsonDocument>(ids.Count);
        for (int i = 0; i < ids.Count; i++)
        {
            docs.Add(new BsonDocument { { "_id", ids[i].Id }, { "i", i }, { "tag", ids[i].Tag }, { "pad", new string('p', i % 50) } });
        }
        return docs;
    }
}
