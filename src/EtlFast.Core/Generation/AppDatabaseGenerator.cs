using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using EtlFast.Bson;
using static EtlFast.Core.Generation.SeedUsersGenerator;
using static EtlFast.Core.Generation.SeedVocabulary;

namespace EtlFast.Core.Generation;

/// <summary>
/// A small shop's application database (database <see cref="Database"/>) for whole-database loads:
/// customers, products, orders with embedded line items, reviews and an audit log, with references
/// between them (an order's customerId is a customer's ObjectId, its items' sku a product's string _id),
/// _id types that differ by collection (ObjectId, string, int64), and fields whose BSON type drifts from
/// document to document, as they do in real collections (a phone as a string or a number, a price as a
/// double, a decimal128 or an int32, a rating as an int32 or a double). Orders hold about 85% of the
/// bytes. Each document depends only on (seed, collection, id).
/// </summary>
public sealed class AppDatabaseGenerator(ulong seed = DefaultSeed)
{
    public const string Database = "app_db";

    /// <summary>The collections, in the order a dump lists them, with their document count for <c>orders</c> orders.</summary>
    public static IReadOnlyList<AppCollection> Collections { get; } =
    [
        new("customers", 0, orders => Math.Max(1, orders / 20)),
        new("products", 1, orders => Math.Max(1, orders / 200)),
        new("orders", 2, orders => orders),
        new("reviews", 3, orders => orders / 8),
        new("audit_log", 4, orders => orders / 2),
    ];

    /// <summary>A view the dump lists beside the collections (metadata only: a whole-database load skips it).</summary>
    public const string ViewName = "big_orders";

    public const string ViewOn = "orders";

    /// <summary>Writes document <paramref name="id"/> (1-based) of collection <paramref name="collection"/> for a database of <paramref name="orders"/> orders.</summary>
    public void Write(BsonWriter writer, AppCollection collection, int id, int orders)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(collection);
        var rng = new Xoshiro256(seed ^ (0x9E3779B97F4A7C15UL * (ulong)(collection.Code + 1)), (ulong)id);
        switch (collection.Code)
        {
            case 0:
                WriteCustomer(writer, ref rng, id);
                break;
            case 1:
                WriteProduct(writer, ref rng, id);
                break;
            case 2:
                WriteOrder(writer, ref rng, id, orders);
                break;
            case 3:
                WriteReview(writer, ref rng, id, orders);
                break;
            default:
                WriteAudit(writer, ref rng, id, orders);
                break;
        }
    }

    private static void WriteCustomer(BsonWriter writer, ref Xoshiro256 rng, int id)
    {
        Span<byte> scratch = stackalloc byte[128];
        var text = new Utf8Builder(scratch);
        byte[] first = Pick(ref rng, FirstNames);
        byte[] last = Pick(ref rng, LastNames);
        writer.WriteStartDocument();
        WriteObjectId(writer, "_id"u8, 0, id);
        text.Append(first);
        text.Append((byte)' ');
        text.Append(last);
        writer.WriteString("name"u8, text.Written);
        text.Clear();
        text.AppendLower(first);
        text.Append((byte)'.');
        text.AppendLower(last);
        text.Append((byte)'.');
        text.Append(id);
        text.Append("@example.com"u8);
        writer.WriteString("email"u8, text.Written);
        int phone = rng.Between(1_000_000, 9_999_999);
        int kind = rng.Below(100);
        if (kind < 70)
        {
            text.Clear();
            text.Append("+1-555-"u8);
            text.Append(phone);
            writer.WriteString("phone"u8, text.Written);
        }
        else if (kind < 95)
        {
            writer.WriteInt64("phone"u8, 1_555_0000000L + phone); // typed in as a number by an old client
        }
        writer.WriteDateTime("createdAt"u8, Date(ref rng));
        writer.WriteString("tier"u8, Pick(ref rng, Tiers));
        writer.WriteStartDocument("address"u8);
        text.Clear();
        text.Append(rng.Between(1, 9999));
        text.Append((byte)' ');
        text.Append(Pick(ref rng, StreetNames));
        text.Append((byte)' ');
        text.Append(Pick(ref rng, StreetKinds));
        writer.WriteString("street"u8, text.Written);
        writer.WriteString("city"u8, Pick(ref rng, Cities));
        writer.WriteString("country"u8, "USA"u8);
        writer.WriteEndDocument();
        writer.WriteStartArray("tags"u8);
        for (int i = 0, n = rng.Below(4); i < n; i++)
        {
            writer.WriteString(Pick(ref rng, Interests));
        }
        writer.WriteEndArray();
        writer.WriteEndDocument();
    }

    private static void WriteProduct(BsonWriter writer, ref Xoshiro256 rng, int id)
    {
        Span<byte> scratch = stackalloc byte[64];
        var text = new Utf8Builder(scratch);
        writer.WriteStartDocument();
        WriteSku(writer, "_id"u8, id);
        text.Append(Pick(ref rng, CompanyFirst));
        text.Append((byte)' ');
        text.Append(Pick(ref rng, ProductNouns));
        text.Append((byte)' ');
        text.Append(rng.Between(100, 999));
        writer.WriteString("name"u8, text.Written);
        writer.WriteString("category"u8, Pick(ref rng, Categories));
        WritePrice(writer, "price"u8, id * 7 % 10, rng.Between(199, 49_999)); // every kind, even among a few products
        writer.WriteInt32("stock"u8, rng.Between(0, 500));
        writer.WriteStartDocument("attributes"u8); // free-form: a jsonb column keeps it whole
        writer.WriteString("color"u8, Pick(ref rng, Colors));
        if (rng.Chance(50))
        {
            writer.WriteDouble("weightKg"u8, Math.Round(0.1 + 20 * rng.NextDouble(), 2));
        }
        if (rng.Chance(30))
        {
            writer.WriteBoolean("fragile"u8, true);
        }
        writer.WriteEndDocument();
        writer.WriteEndDocument();
    }

    private static void WriteOrder(BsonWriter writer, ref Xoshiro256 rng, int id, int orders)
    {
        writer.WriteStartDocument();
        writer.WriteInt64("_id"u8, id);
        WriteObjectId(writer, "customerId"u8, 0, SkewedId(ref rng, Collections[0].Count(orders)));
        writer.WriteDateTime("createdAt"u8, Date(ref rng));
        writer.WriteString("status"u8, Pick(ref rng, OrderStatuses));
        writer.WriteStartArray("items"u8);
        int products = Collections[1].Count(orders);
        for (int i = 0, n = rng.Between(1, 8); i < n; i++)
        {
            writer.WriteStartDocument();
            WriteSku(writer, "sku"u8, SkewedId(ref rng, products));
            writer.WriteInt32("qty"u8, rng.Between(1, 5));
            WritePrice(writer, "unitPrice"u8, rng.Below(10), rng.Between(199, 49_999));
            int discount = rng.Below(100);
            if (discount < 30)
            {
                writer.WriteInt32("discount"u8, rng.Between(5, 30)); // percent
            }
            else if (discount < 50)
            {
                writer.WriteDouble("discount"u8, rng.Between(5, 30) + 0.5);
            }
            writer.WriteEndDocument();
        }
        writer.WriteEndArray();
        writer.WriteStartDocument("shipping"u8);
        writer.WriteString("method"u8, Pick(ref rng, ShippingMethods));
        writer.WriteString("city"u8, Pick(ref rng, Cities));
        writer.WriteString("zip"u8, Digits(ref rng, stackalloc byte[5]));
        writer.WriteEndDocument();
        int notes = rng.Below(100);
        if (notes < 70)
        {
            Letters(ref rng, writer.WriteStringSpan("notes"u8, rng.Between(40, 640)));
        }
        else if (notes < 80)
        {
            writer.WriteNull("notes"u8);
        }
        writer.WriteEndDocument();
    }

    private static void WriteReview(BsonWriter writer, ref Xoshiro256 rng, int id, int orders)
    {
        writer.WriteStartDocument();
        WriteObjectId(writer, "_id"u8, 3, id);
        WriteSku(writer, "productId"u8, SkewedId(ref rng, Collections[1].Count(orders)));
        WriteObjectId(writer, "customerId"u8, 0, SkewedId(ref rng, Collections[0].Count(orders)));
        if (rng.Chance(85))
        {
            writer.WriteInt32("rating"u8, rng.Between(1, 5));
        }
        else
        {
            writer.WriteDouble("rating"u8, rng.Between(1, 4) + 0.5);
        }
        LowerLetters(ref rng, writer.WriteStringSpan("body"u8, rng.Between(20, 300)));
        writer.WriteDateTime("createdAt"u8, Date(ref rng));
        writer.WriteEndDocument();
    }

    private static void WriteAudit(BsonWriter writer, ref Xoshiro256 rng, int id, int orders)
    {
        writer.WriteStartDocument();
        WriteObjectId(writer, "_id"u8, 4, id);
        writer.WriteDateTime("at"u8, Date(ref rng));
        writer.WriteString("actor"u8, Pick(ref rng, Actors));
        writer.WriteString("action"u8, Pick(ref rng, Actions));
        writer.WriteStartDocument("entity"u8); // what the entry is about: its id has that collection's _id type
        switch (rng.Below(3))
        {
            case 0:
                writer.WriteString("kind"u8, "order"u8);
                writer.WriteInt64("id"u8, 1 + rng.Below(Math.Max(1, orders)));
                break;
            case 1:
                writer.WriteString("kind"u8, "customer"u8);
                WriteObjectId(writer, "id"u8, 0, 1 + rng.Below(Collections[0].Count(orders)));
                break;
            default:
                writer.WriteString("kind"u8, "product"u8);
                WriteSku(writer, "id"u8, 1 + rng.Below(Collections[1].Count(orders)));
                break;
        }
        writer.WriteEndDocument();
        writer.WriteStartDocument("detail"u8);
        writer.WriteString("ip"u8, Digits(ref rng, stackalloc byte[9]));
        if (rng.Chance(40))
        {
            writer.WriteInt32("attempt"u8, rng.Between(1, 3));
        }
        writer.WriteEndDocument();
        writer.WriteEndDocument();
    }

    /// <summary>
    /// A 12-byte ObjectId that is a pure function of (collection code, number): a timestamp from the
    /// number, the code, then the number itself, so references can be written without a lookup.
    /// </summary>
    public static void ObjectIdBytes(Span<byte> oid, int code, int number)
    {
        BinaryPrimitives.WriteUInt32BigEndian(oid, (uint)(1_577_836_800 + (number % 157_680_000))); // 2020-2025
        oid[4] = (byte)(0xA0 + code);
        oid[5] = 0xE7;
        oid[6] = 0x1F;
        oid[7] = 0xA5;
        BinaryPrimitives.WriteInt32BigEndian(oid[8..], number);
    }

    /// <summary>A product's _id: "SKU-" and six or more digits.</summary>
    public static string Sku(int id) => $"SKU-{id:D6}";

    private static void WriteObjectId(BsonWriter writer, ReadOnlySpan<byte> name, int code, int number)
    {
        Span<byte> oid = stackalloc byte[12];
        ObjectIdBytes(oid, code, number);
        writer.WriteObjectId(name, oid);
    }

    private static void WriteSku(BsonWriter writer, ReadOnlySpan<byte> name, int id)
    {
        Span<byte> buffer = stackalloc byte[16];
        var text = new Utf8Builder(buffer);
        text.Append("SKU-"u8);
        Span<byte> digits = stackalloc byte[10];
        id.TryFormat(digits, out int written, "D6");
        text.Append(digits[..written]);
        writer.WriteString(name, text.Written);
    }

    /// <summary>A price of <paramref name="cents"/> by <paramref name="kind"/> (0-9): 0-6 a double, 7-8 a decimal128 with two places, 9 whole dollars as an int32.</summary>
    private static void WritePrice(BsonWriter writer, ReadOnlySpan<byte> name, int kind, int cents)
    {
        if (kind < 7)
        {
            writer.WriteDouble(name, cents / 100.0);
        }
        else if (kind < 9)
        {
            const ulong exponentMinus2 = (ulong)(6176 - 2) << 49; // decimal128's biased exponent field
            writer.WriteDecimal128(name, new Decimal128Bits((ulong)cents, exponentMinus2));
        }
        else
        {
            writer.WriteInt32(name, cents / 100);
        }
    }

    /// <summary>1..<paramref name="count"/>, low numbers far more often: a few customers and products account for most orders.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SkewedId(ref Xoshiro256 rng, int count)
    {
        double u = rng.NextDouble();
        return 1 + Math.Min(count - 1, (int)(count * u * u * u));
    }

    private static ReadOnlySpan<byte> Digits(ref Xoshiro256 rng, Span<byte> dest)
    {
        for (int i = 0; i < dest.Length; i++)
        {
            dest[i] = (byte)('0' + rng.Below(10));
        }
        return dest;
    }

    private static readonly byte[][] Tiers = Words("free", "silver", "gold", "platinum");
    private static readonly byte[][] ProductNouns = Words("Widget", "Gadget", "Lamp", "Chair", "Kettle", "Backpack", "Headphones", "Monitor");
    private static readonly byte[][] Categories = Words("home", "office", "outdoor", "kitchen", "audio", "travel");
    private static readonly byte[][] Colors = Words("black", "white", "red", "blue", "green", "silver");
    private static readonly byte[][] OrderStatuses = Words("placed", "paid", "shipped", "delivered", "returned", "cancelled");
    private static readonly byte[][] ShippingMethods = Words("standard", "express", "pickup");
    private static readonly byte[][] Actors = Words("web", "mobile", "admin", "batch", "support");
}

/// <summary>One collection of <see cref="AppDatabaseGenerator"/>: its name, its code (part of its ObjectIds), its size for a number of orders.</summary>
public sealed class AppCollection(string name, int code, Func<int, int> count)
{
    public string Name { get; } = name;

    public int Code { get; } = code;

    /// <summary>How many documents it holds in a database of <paramref name="orders"/> orders.</summary>
    public int Count(int orders) => orders == 0 ? 0 : count(orders);
}
