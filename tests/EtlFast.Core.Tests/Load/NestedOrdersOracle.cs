using System.Globalization;
using EtlFast.Core.Tests.TestSupport;
using MongoDB.Bson;

namespace EtlFast.Core.Tests.Load;

/// <summary>
/// The tables examples/nested-orders.json must produce, computed from the documents with MongoDB.Bson
/// by the mapping's rules as its comments state them, and which documents its "reject" policies skip.
/// </summary>
internal static class NestedOrdersOracle
{
    public static readonly string[] Keys = [.. new[]
    {
        "PK customers(customer_no)", "PK loyalty(customer_no)", "PK customer_tags(customer_no, position)",
        "PK orders(customer_no, seq)", "PK order_shipping(customer_no, seq)", "PK order_lines(customer_no, line_no)",
        "FK loyalty(customer_no) -> customers(customer_no)", "FK customer_tags(customer_no) -> customers(customer_no)",
        "FK orders(customer_no) -> customers(customer_no)", "FK order_lines(customer_no) -> customers(customer_no)",
    }.Order(StringComparer.Ordinal)];

    public static readonly string[] Indexes = [.. new[]
    {
        "UNIQUE customers(object_id)", "customers(city, name)", "UNIQUE order_lines(line_id)", "order_lines(order_no)",
    }.Order(StringComparer.Ordinal)];

    private static bool IsInteger(BsonValue v) => v.BsonType is BsonType.Int32 or BsonType.Int64;

    /// <summary>True when a "reject" policy of the mapping skips the document.</summary>
    public static bool IsRejected(BsonDocument d)
    {
        if (!d.Contains("name") || !IsInteger(d["age"]))
        {
            return true;
        }
        if (d.TryGetValue("loyalty", out BsonValue loyalty) && loyalty.IsBsonDocument && !loyalty.AsBsonDocument.Contains("points"))
        {
            return true;
        }
        return d.TryGetValue("orders", out BsonValue orders)
            && orders.AsBsonArray.Any(o => o["lines"].AsBsonArray.Any(l => !IsInteger(l["qty"])));
    }

    private static BsonValue? Get(BsonDocument d, string dotted)
    {
        BsonValue current = d;
        foreach (string name in dotted.Split('.'))
        {
            if (!current.IsBsonDocument || !current.AsBsonDocument.TryGetValue(name, out current!))
            {
                return null;
            }
        }
        return current;
    }

    private static object? TextOrNull(BsonDocument d, string name) => Get(d, name) is { IsString: true } v ? v.AsString : null;

    public static List<ExpectedTable> Compute(IEnumerable<BsonDocument> documents)
    {
        const string BigInt = "bigint", Text = "text", Int = "integer", Ts = "timestamp with time zone", Jsonb = "jsonb", Numeric = "numeric";
        var customers = new ExpectedTable("customers", "customer_no")
            .Column("customer_no", BigInt).Column("object_id", Text).Column("name", Text).Column("external_id", "uuid")
            .Column("avatar", "bytea", nullable: true).Column("score", "double precision").Column("active", "boolean")
            .Column("created_at", Ts).Column("balance", Numeric).Column("credit_limit", "numeric(12,2)").Column("age", Int)
            .Column("city", Text, nullable: true).Column("nickname", Text, nullable: true).Column("country", Text)
            .Column("vip", "boolean").Column("email", Text, nullable: true).Column("prefs", Jsonb).Column("tags", Jsonb);
        var loyalty = new ExpectedTable("loyalty", "customer_no")
            .Column("customer_no", BigInt).Column("customer_name", Text).Column("tier", Text).Column("points", Int).Column("since", Ts);
        var tags = new ExpectedTable("customer_tags", "customer_no", "position")
            .Column("customer_no", BigInt).Column("position", Int).Column("tag", Text);
        var orders = new ExpectedTable("orders", "customer_no", "seq")
            .Column("customer_no", BigInt).Column("seq", Int).Column("order_no", Text).Column("placed_at", Ts).Column("total", Numeric)
            .Column("status", Text).Column("note", Text, nullable: true).Column("shipping", Jsonb, nullable: true);
        var shippingTable = new ExpectedTable("order_shipping", "customer_no", "seq")
            .Column("customer_no", BigInt).Column("seq", Int).Column("order_no", Text).Column("carrier", Text)
            .Column("express", "boolean").Column("kg", "double precision");
        var lines = new ExpectedTable("order_lines", "customer_no", "line_no")
            .Column("customer_no", BigInt).Column("line_no", Int).Column("line_id", BigInt).Column("order_no", Text)
            .Column("position", "smallint").Column("sku", Text).Column("qty", Int).Column("price", Numeric)
            .Column("weight", "double precision").Column("unit", Text);

        foreach (BsonDocument d in documents)
        {
            if (IsRejected(d))
            {
                continue;
            }
            long num = d["num"].AsInt32;
            string name = d["name"].AsString;
            customers.Add(
                num,
                d["_id"].AsObjectId.ToString(),
                name,
                d["externalId"].AsBsonBinaryData.ToGuid(GuidRepresentation.Standard),
                d.TryGetValue("avatar", out BsonValue avatar) ? avatar.AsBsonBinaryData.Bytes : null,
                d["score"].AsDouble,
                d["active"].AsBoolean,
                SeedOracle.Utc(d["createdAt"]),
                NestedOrdersData.NumericText(d["balance"].AsDecimal128),
                d["creditLimit"].AsInt32.ToString(CultureInfo.InvariantCulture) + ".00",
                d["age"].AsInt32,
                TextOrNull(d, "profile.address.geo.city"),
                TextOrNull(d, "nickname"),
                d.TryGetValue("country", out BsonValue country) ? country.AsString : "n/a",
                d.TryGetValue("vip", out BsonValue vip) && vip.IsBoolean && vip.AsBoolean,
                TextOrNull(d, "email"),
                Json.FromBson(d["prefs"]),
                Json.FromBson(d["tags"]));

            if (d.TryGetValue("loyalty", out BsonValue l) && l.IsBsonDocument)
            {
                loyalty.Add(num, name, l["tier"].AsString, l["points"].AsInt32, SeedOracle.Utc(l["since"]));
            }
            int position = 0;
            foreach (BsonValue tag in d["tags"].AsBsonArray)
            {
                tags.Add(num, position++, tag.AsString);
            }
            if (!d.TryGetValue("orders", out BsonValue orderArray))
            {
                continue;
            }
            int seq = 0, ordinal = 0;
            foreach (BsonDocument o in orderArray.AsBsonArray.Cast<BsonDocument>())
            {
                string orderNo = o["orderNo"].AsString;
                orders.Add(num, seq++, orderNo, SeedOracle.Utc(o["placedAt"]), NestedOrdersData.NumericText(o["total"].AsDecimal128),
                    o.TryGetValue("status", out BsonValue status) ? status.AsString : "new",
                    TextOrNull(o, "note"),
                    o.TryGetValue("shipping", out BsonValue shipping) && !shipping.IsBsonNull ? Json.FromBson(shipping) : null);
                if (shipping is BsonDocument ship)
                {
                    shippingTable.Add(num, seq - 1, orderNo, ship["carrier"].AsString, ship["express"].AsBoolean, ship["kg"].AsDouble);
                }
                short index = 0;
                foreach (BsonDocument line in o["lines"].AsBsonArray.Cast<BsonDocument>())
                {
                    lines.Add(num, ordinal, num * 1000 + ordinal, orderNo, index++, line["sku"].AsString, (int)line["qty"].ToInt64(),
                        NestedOrdersData.NumericText(line["price"].AsDecimal128), (double)line["weightGrams"].ToInt64(),
                        line.TryGetValue("unit", out BsonValue unit) ? unit.AsString : "each");
                    ordinal++;
                }
            }
        }
        return [customers, loyalty, tags, orders, shippingTable, lines];
    }
}
