using System.Globalization;
using System.Text;
using EtlFast.Core.Tests.TestSupport;
using MongoDB.Bson;

namespace EtlFast.Core.Tests.Faults;

/// <summary>One kind of document the loader cannot store, and where its message must point.</summary>
/// <param name="Name">Test case name.</param>
/// <param name="Field">The field (with array positions) the message names.</param>
/// <param name="Table">The table the message names.</param>
/// <param name="Reason">A phrase of the reason.</param>
/// <param name="DuplicateOf">For a duplicate key: the _id of the good document it collides with.</param>
public sealed record BadKind(string Name, string Field, string Table, string Reason, long? DuplicateOf = null)
{
    public override string ToString() => Name;
}

/// <summary>
/// A small mapping of the fault tests' own ("things" with a child table "tags"), documents for it
/// crafted with MongoDB.Bson (bytes patched where MongoDB.Bson refuses to write something broken),
/// and the rows the good ones must give, computed here independently of the loader.
/// </summary>
internal static class ThingsData
{
    public const string Collection = "things";

    public const string MappingJson = """
        // The fault tests' own mapping: every policy is "error", so a bad value stops or rejects the document.
        {
          "collection": "things",
          "tables": [
            {
              "name": "things",
              "columns": [
                { "name": "id",    "type": "bigint",      "from": "_id" },
                { "name": "name",  "type": "text",        "from": "name" },
                { "name": "qty",   "type": "integer",     "from": "qty" },
                { "name": "price", "type": "numeric",     "from": "price" },
                { "name": "seen",  "type": "timestamptz", "from": "seen" }
              ],
              "primaryKey": ["id"]
            },
            {
              "name": "tags",
              "path": "tags[]",
              "columns": [
                { "name": "thing_id", "type": "bigint",  "from": "$root._id", "references": "things.id" },
                { "name": "pos",      "type": "integer", "from": "$index" },
                { "name": "tag",      "type": "text",    "from": "$value" }
              ],
              "primaryKey": ["thing_id", "pos"]
            }
          ]
        }
        """;

    /// <summary>Every kind of bad document the brief lists (the truncated source has its own tests).</summary>
    public static readonly BadKind[] Kinds =
    [
        new("nul_in_text", "name", "things", "NUL byte"),
        new("nul_in_array_item", "tags.1", "tags", "NUL byte"),
        new("invalid_utf8", "name", "things", "UTF-8"),
        new("date_after_postgres_range", "seen", "things", "outside the range"),
        new("date_before_postgres_range", "seen", "things", "outside the range"),
        new("decimal128_nan", "price", "things", "NaN"),
        new("decimal128_infinity", "price", "things", "Infinity"),
        new("int64_overflows_integer", "qty", "things", "out of range"),
        new("string_where_a_number_is_mapped", "qty", "things", "string"),
        new("missing_required_field", "qty", "things", "missing"),
        new("duplicate_primary_key", "id", "things", "duplicate key", DuplicateOf: 4),
    ];

    public static BadKind Kind(string name) => Kinds.Single(k => k.Name == name);

    public static BsonDocument Good(long id, int padBytes = 0)
    {
        var d = new BsonDocument
        {
            { "_id", id },
            { "name", $"thing {id}" },
            { "qty", (int)(id * 7 % 1000) },
            { "price", Decimal128.Parse(string.Create(CultureInfo.InvariantCulture, $"{id}.25")) },
            { "seen", new BsonDateTime(new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddMinutes(id)) },
            { "tags", new BsonArray { $"a{id}", $"b{id}" } },
        };
        if (padBytes > 0)
        {
            d.Add("pad", new string('p', padBytes)); // unmapped: only makes chunks hold few documents
        }
        return d;
    }

    /// <summary>The bytes of a document of <paramref name="kind"/> with <paramref name="id"/> (ignored for a duplicate key, which takes the colliding _id).</summary>
    public static byte[] Bad(BadKind kind, long id, int padBytes = 0)
    {
        BsonDocument d = Good(kind.DuplicateOf ?? id, padBytes);
        switch (kind.Name)
        {
            case "nul_in_text":
                return Patch(Set(d, "name", "bad@@NUL@@name"), "@@NUL@@", 3, [0x00]);
            case "nul_in_array_item":
                d["tags"] = new BsonArray { "ok", "x@@NUL@@y", "ok2" };
                return Patch(d, "@@NUL@@", 3, [0x00]);
            case "invalid_utf8":
                // 0xC3 0x28: a two-byte lead followed by a byte that cannot continue it.
                return Patch(Set(d, "name", "bad@@UTF@@name"), "@@UTF@@", 2, [0xC3, 0x28]);
            case "date_after_postgres_range":
                return Set(d, "seen", new BsonDateTime(9_300_000_000_000_000)).ToBson(); // about 296,700 AD
            case "date_before_postgres_range":
                return Set(d, "seen", new BsonDateTime(-300_000_000_000_000)).ToBson(); // about 7537 BC
            case "decimal128_nan":
                return Set(d, "price", Decimal128.QNaN).ToBson();
            case "decimal128_infinity":
                return Set(d, "price", Decimal128.PositiveInfinity).ToBson();
            case "int64_overflows_integer":
                return Set(d, "qty", 3_000_000_000L).ToBson();
            case "string_where_a_number_is_mapped":
                return Set(d, "qty", "12").ToBson();
            case "missing_required_field":
                d.Remove("qty");
                return d.ToBson();
            case "duplicate_primary_key":
                return Set(d, "name", "the duplicate").ToBson();
            default:
                throw new ArgumentException($"unknown kind {kind.Name}");
        }
    }

    private static BsonDocument Set(BsonDocument d, string name, BsonValue value)
    {
        d[name] = value;
        return d;
    }

    /// <summary>
    /// Overwrites bytes inside a marker in a string value (with a NUL, with invalid UTF-8), which
    /// MongoDB.Bson would refuse to write; lengths do not change, so no length prefix does.
    /// </summary>
    private static byte[] Patch(BsonDocument d, string marker, int offset, byte[] replacement)
    {
        byte[] bytes = d.ToBson();
        int at = bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(marker));
        if (at < 0)
        {
            throw new InvalidOperationException($"marker {marker} not found");
        }
        replacement.CopyTo(bytes, at + offset);
        return bytes;
    }

    /// <summary>The two tables the good documents must give.</summary>
    public static (ExpectedTable Things, ExpectedTable Tags) Expected(IEnumerable<BsonDocument> good)
    {
        var things = new ExpectedTable("things", "id")
            .Column("id", "bigint").Column("name", "text").Column("qty", "integer").Column("price", "numeric").Column("seen", "timestamp with time zone");
        var tags = new ExpectedTable("tags", "thing_id", "pos")
            .Column("thing_id", "bigint").Column("pos", "integer").Column("tag", "text");
        foreach (BsonDocument d in good)
        {
            long id = d["_id"].ToInt64();
            things.Add(id, d["name"].AsString, d["qty"].AsInt32, d["price"].AsDecimal128.ToString(), d["seen"].ToUniversalTime());
            BsonArray items = d["tags"].AsBsonArray;
            for (int i = 0; i < items.Count; i++)
            {
                tags.Add(id, i, items[i].AsString);
            }
        }
        return (things, tags);
    }
}
