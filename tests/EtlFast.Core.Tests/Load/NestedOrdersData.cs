using System.Globalization;
using System.Numerics;
using System.Text;
using MongoDB.Bson;

namespace EtlFast.Core.Tests.Load;

/// <summary>
/// Customer documents for examples/nested-orders.json, built with MongoDB.Bson from a seeded
/// <see cref="Random"/>: every optional field is sometimes missing, sometimes null, sometimes set,
/// and the first documents carry the edge values (extreme dates and doubles, odd decimals, text
/// that needs escaping in JSON, empty arrays and binaries).
/// </summary>
internal static class NestedOrdersData
{
    public static string Mapping => TestSupport.RepoRoot.File("examples", "nested-orders.json");

    private static readonly string[] Cities = ["Lyon", "Zürich", "København", "東京", "São Paulo", "Reykjavík"];
    private static readonly string[] Tiers = ["bronze", "silver", "gold"];
    private static readonly string[] Tags = ["new", "b2b", "vip", "églantine", "emoji 🎉", "quote \"q\"", "back\\slash", "tab\there"];
    private static readonly string[] Statuses = ["paid", "shipped", "cancelled"];

    /// <summary>Customers numbered 1..count, the same for the same seed.</summary>
    public static List<BsonDocument> Generate(int count, int seed)
    {
        var rng = new Random(seed);
        var docs = new List<BsonDocument>(count);
        for (int num = 1; num <= count; num++)
        {
            docs.Add(Customer(rng, num));
        }
        return docs;
    }

    public static BsonDocument Customer(Random rng, int num)
    {
        byte[] oid = new byte[12];
        rng.NextBytes(oid);
        byte[] guid = new byte[16];
        rng.NextBytes(guid);
        var d = new BsonDocument
        {
            { "_id", new ObjectId(oid) },
            { "num", num },
            { "name", $"Customer {num} {Cities[rng.Next(Cities.Length)]}" },
            { "externalId", new BsonBinaryData(new Guid(guid), GuidRepresentation.Standard) },
        };
        if (rng.Next(4) != 0)
        {
            byte[] avatar = new byte[rng.Next(0, 40)];
            rng.NextBytes(avatar);
            d["avatar"] = new BsonBinaryData(avatar);
        }
        d["score"] = Math.Round((rng.NextDouble() - 0.5) * 1000, rng.Next(0, 12));
        d["active"] = rng.Next(2) == 0;
        d["createdAt"] = Date(rng);
        d["balance"] = Decimal(rng);
        d["creditLimit"] = rng.Next(0, 1_000_000);
        d["age"] = rng.Next(18, 99);
        switch (rng.Next(4))
        {
            case 0:
                break; // no profile at all
            case 1:
                d["profile"] = new BsonDocument("address", new BsonDocument("street", "x")); // no geo
                break;
            default:
                d["profile"] = new BsonDocument("address", new BsonDocument("geo", new BsonDocument
                {
                    { "lat", rng.NextDouble() * 90 },
                    { "city", Cities[rng.Next(Cities.Length)] },
                }));
                break;
        }
        switch (rng.Next(3))
        {
            case 0: d["nickname"] = BsonNull.Value; break;
            case 1: d["nickname"] = $"nick{num}"; break;
        }
        if (rng.Next(3) != 0)
        {
            d["country"] = rng.Next(2) == 0 ? "FR" : "CH";
        }
        switch (rng.Next(4))
        {
            case 0: d["vip"] = BsonNull.Value; break;
            case 1: d["vip"] = true; break;
            case 2: d["vip"] = false; break;
        }
        d["email"] = rng.Next(5) == 0 ? BsonNull.Value : $"c{num}@example.com";
        d["prefs"] = new BsonDocument
        {
            { "theme", rng.Next(2) == 0 ? "dark" : "light" },
            { "fontSize", rng.Next(8, 30) },
            { "zoom", Math.Round(rng.NextDouble() * 3, 3) },
            { "beta", rng.Next(2) == 0 },
            { "deleted", BsonNull.Value },
            { "recent", new BsonArray(Enumerable.Range(0, rng.Next(0, 4)).Select(i => (BsonValue)$"page{i}")) },
            { "nested", new BsonDocument { { "depth", 2 }, { "more", new BsonDocument("ok", true) } } },
        };
        d["tags"] = new BsonArray(Enumerable.Range(0, rng.Next(0, 5)).Select(_ => (BsonValue)Tags[rng.Next(Tags.Length)]));
        switch (rng.Next(4))
        {
            case 0:
                break;
            case 1:
                d["loyalty"] = BsonNull.Value;
                break;
            default:
                d["loyalty"] = new BsonDocument
                {
                    { "tier", Tiers[rng.Next(Tiers.Length)] },
                    { "points", rng.Next(0, 100_000) },
                    { "since", Date(rng) },
                };
                break;
        }
        int orders = rng.Next(-1, 4);
        if (orders >= 0)
        {
            var array = new BsonArray();
            for (int o = 0; o < orders; o++)
            {
                array.Add(Order(rng, num, o));
            }
            d["orders"] = array;
        }
        return d;
    }

    private static BsonDocument Order(Random rng, int num, int o)
    {
        var order = new BsonDocument
        {
            { "orderNo", $"O-{num}-{o}" },
            { "placedAt", Date(rng) },
            { "total", Decimal(rng) },
        };
        if (rng.Next(3) != 0)
        {
            order["status"] = Statuses[rng.Next(Statuses.Length)];
        }
        switch (rng.Next(3))
        {
            case 0: order["note"] = BsonNull.Value; break;
            case 1: order["note"] = "leave at the door; ring \"twice\"\n\u00e9"; break;
        }
        switch (rng.Next(3))
        {
            case 0:
                order["shipping"] = BsonNull.Value;
                break;
            case 1:
                order["shipping"] = new BsonDocument { { "carrier", rng.Next(2) == 0 ? "DHL" : "La Poste" }, { "express", rng.Next(2) == 0 }, { "kg", rng.NextDouble() * 20 } };
                break;
        }
        var lines = new BsonArray();
        for (int l = 0, n = rng.Next(0, 5); l < n; l++)
        {
            var line = new BsonDocument
            {
                { "sku", $"SKU-{rng.Next(1000, 9999)}" },
                { "qty", rng.Next(2) == 0 ? (BsonValue)rng.Next(1, 50) : (BsonValue)(long)rng.Next(1, 50) },
                { "price", Decimal(rng) },
                { "weightGrams", rng.Next(2) == 0 ? (BsonValue)rng.Next(1, 100_000) : (BsonValue)(long)rng.Next(1, 100_000) },
            };
            if (rng.Next(3) == 0)
            {
                line["unit"] = rng.Next(2) == 0 ? "kg" : "box";
            }
            lines.Add(line);
        }
        order["lines"] = lines;
        return order;
    }

    private static BsonDateTime Date(Random rng)
    {
        // 1900..2100, millisecond precision, before and after the Unix epoch.
        long min = new DateTimeOffset(1900, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
        long max = new DateTimeOffset(2100, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
        return new BsonDateTime(rng.NextInt64(min, max));
    }

    private static BsonDecimal128 Decimal(Random rng)
    {
        int scale = rng.Next(0, 6);
        long units = rng.NextInt64(-10_000_000_000, 10_000_000_000);
        string digits = BigInteger.Abs(units).ToString(CultureInfo.InvariantCulture).PadLeft(scale + 1, '0');
        string text = (units < 0 ? "-" : "") + (scale == 0 ? digits : digits[..^scale] + "." + digits[^scale..]);
        return new BsonDecimal128(Decimal128.Parse(text));
    }

    /// <summary>
    /// The first customers, overwritten with edge values that must load: extreme dates and doubles,
    /// decimals with odd exponents, an empty binary, a binary with NUL bytes, empty arrays.
    /// </summary>
    public static void AddEdges(List<BsonDocument> docs)
    {
        BsonDocument a = docs[0], b = docs[1], c = docs[2];
        a["createdAt"] = new BsonDateTime(new DateTimeOffset(1, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds());
        b["createdAt"] = new BsonDateTime(new DateTimeOffset(9999, 12, 31, 23, 59, 59, 999, TimeSpan.Zero).ToUnixTimeMilliseconds());
        c["createdAt"] = new BsonDateTime(-1); // 1969-12-31T23:59:59.999Z
        a["score"] = double.Epsilon;
        b["score"] = -1.7976931348623157e308;
        c["score"] = 0.1 + 0.2;
        docs[3]["score"] = double.NaN;
        docs[4]["score"] = double.PositiveInfinity;
        a["balance"] = new BsonDecimal128(Decimal128.Parse("1E+3"));
        b["balance"] = new BsonDecimal128(Decimal128.Parse("-0.00"));
        c["balance"] = new BsonDecimal128(Decimal128.Parse("1234567890123456789012345678901234"));
        docs[3]["balance"] = new BsonDecimal128(Decimal128.Parse("-0.0000000000000000000000000000000001"));
        docs[4]["balance"] = new BsonDecimal128(Decimal128.Parse("12.50"));
        a["avatar"] = new BsonBinaryData([]);
        b["avatar"] = new BsonBinaryData([0, 0, 1, 0, 255]);
        a["tags"] = new BsonArray();
        b["tags"] = new BsonArray { "only" };
        a["name"] = "Ünïcødé ✓ \"quoted\" back\\slash";
        c["prefs"]["theme"] = "control \u0001 chars \u001f and \u007f, line\nbreak";
        a["creditLimit"] = int.MaxValue;
        b["creditLimit"] = 0;
        c["orders"] = new BsonArray
        {
            new BsonDocument { { "orderNo", "E-1" }, { "placedAt", new BsonDateTime(0) }, { "total", new BsonDecimal128(Decimal128.Parse("0")) }, { "lines", new BsonArray() } },
            new BsonDocument
            {
                { "orderNo", "E-2" }, { "placedAt", new BsonDateTime(1) }, { "total", new BsonDecimal128(Decimal128.Parse("99.999")) },
                { "lines", new BsonArray
                {
                    new BsonDocument { { "sku", "A" }, { "qty", 1 }, { "price", new BsonDecimal128(Decimal128.Parse("0.01")) }, { "weightGrams", 9_007_199_254_740_992L } },
                    new BsonDocument { { "sku", "B" }, { "qty", 2L }, { "price", new BsonDecimal128(Decimal128.Parse("1E-5")) }, { "weightGrams", -1 } },
                } },
            },
            new BsonDocument
            {
                { "orderNo", "E-3" }, { "placedAt", new BsonDateTime(2) }, { "total", new BsonDecimal128(Decimal128.Parse("5")) },
                { "lines", new BsonArray { new BsonDocument { { "sku", "C" }, { "qty", 3 }, { "price", new BsonDecimal128(Decimal128.Parse("5")) }, { "weightGrams", 0 } } } },
            },
        };
    }

    /// <summary>Makes documents the mapping's "reject" policies must skip, each in a different table and way.</summary>
    public static void AddRejects(List<BsonDocument> docs, params int[] at)
    {
        // 1: no name (customers, onMissing reject); 2: age as text (customers, onTypeMismatch reject);
        // 3: a text quantity in a later order's line, after rows of customers, tags and orders were written;
        // 4: loyalty without points (the 1:1 subdocument table).
        docs[at[0]].Remove("name");
        docs[at[1]]["age"] = "forty";
        docs[at[2]]["tags"] = new BsonArray { "t1", "t2" };
        docs[at[2]]["orders"] = new BsonArray
        {
            new BsonDocument { { "orderNo", "R-1" }, { "placedAt", new BsonDateTime(5) }, { "total", new BsonDecimal128(Decimal128.Parse("1")) },
                { "lines", new BsonArray { new BsonDocument { { "sku", "ok" }, { "qty", 1 }, { "price", new BsonDecimal128(Decimal128.Parse("1")) }, { "weightGrams", 1 } } } } },
            new BsonDocument { { "orderNo", "R-2" }, { "placedAt", new BsonDateTime(6) }, { "total", new BsonDecimal128(Decimal128.Parse("2")) },
                { "lines", new BsonArray { new BsonDocument { { "sku", "bad" }, { "qty", "two" }, { "price", new BsonDecimal128(Decimal128.Parse("2")) }, { "weightGrams", 2 } } } } },
        };
        docs[at[3]]["loyalty"] = new BsonDocument { { "tier", "gold" }, { "since", new BsonDateTime(7) } };
    }

    /// <summary>
    /// PostgreSQL's text for a finite decimal128 in a numeric column: the exact value, with as many
    /// fraction digits as the decimal's negative exponent, and no sign on zero.
    /// </summary>
    public static string NumericText(Decimal128 d)
    {
        if (Decimal128.IsNaN(d) || Decimal128.IsInfinity(d))
        {
            throw new ArgumentException("not finite", nameof(d));
        }
        var coefficient = ((BigInteger)Decimal128.GetSignificandHighBits(d) << 64) | Decimal128.GetSignificandLowBits(d);
        int exponent = Decimal128.GetExponent(d);
        var sb = new StringBuilder();
        if (Decimal128.IsNegative(d) && !coefficient.IsZero)
        {
            sb.Append('-');
        }
        if (exponent >= 0)
        {
            sb.Append((coefficient * BigInteger.Pow(10, exponent)).ToString(CultureInfo.InvariantCulture));
            return sb.ToString();
        }
        int scale = -exponent;
        string digits = coefficient.ToString(CultureInfo.InvariantCulture).PadLeft(scale + 1, '0');
        sb.Append(digits[..^scale]).Append('.').Append(digits[^scale..]);
        return sb.ToString();
    }
}
