using System.Text.Json;
using System.Text.Json.Nodes;
using MongoDB.Bson;

namespace EtlFast.Core.Tests.TestSupport;

/// <summary>
/// A JSON value compared semantically, as jsonb means it: object keys in any order, arrays in order,
/// numbers by value (doubles exactly, integers exactly), strings, booleans and null as they are.
/// </summary>
internal sealed class Json : IEquatable<Json>
{
    private Json(JsonNode? node) => Node = node;

    public JsonNode? Node { get; }

    /// <summary>Text as PostgreSQL returns it.</summary>
    public static Json Parse(string text) => new(JsonNode.Parse(text));

    /// <summary>
    /// The JSON a plain BSON value stands for: documents, arrays, strings, int32/int64, finite doubles,
    /// booleans and null. Anything else is outside what these tests put in a jsonb column.
    /// </summary>
    public static Json FromBson(BsonValue value) => new(JsonNode.Parse(ToNode(value)?.ToJsonString() ?? "null"));

    private static JsonNode? ToNode(BsonValue v) => v.BsonType switch
    {
        BsonType.Document => new JsonObject(v.AsBsonDocument.Elements.Select(e => KeyValuePair.Create(e.Name, ToNode(e.Value)))),
        BsonType.Array => new JsonArray([.. v.AsBsonArray.Select(ToNode)]),
        BsonType.String => JsonValue.Create(v.AsString),
        BsonType.Int32 => JsonValue.Create(v.AsInt32),
        BsonType.Int64 => JsonValue.Create(v.AsInt64),
        BsonType.Double when double.IsFinite(v.AsDouble) => JsonValue.Create(v.AsDouble),
        BsonType.Boolean => JsonValue.Create(v.AsBoolean),
        BsonType.Null => null,
        _ => throw new ArgumentException($"the test oracle does not map a BSON {v.BsonType} to JSON"),
    };

    public bool Equals(Json? other) => other is not null && Same(Node, other.Node);

    public override bool Equals(object? obj) => obj is Json j && Equals(j);

    public override int GetHashCode() => 0; // semantic equality: no cheap canonical hash; never used as a key

    public override string ToString() => Node?.ToJsonString() ?? "null";

    private static bool Same(JsonNode? a, JsonNode? b)
    {
        if (a is null || b is null)
        {
            return a is null && b is null;
        }
        JsonValueKind ka = a.GetValueKind(), kb = b.GetValueKind();
        if (ka != kb)
        {
            return false;
        }
        switch (ka)
        {
            case JsonValueKind.Object:
                JsonObject oa = a.AsObject(), ob = b.AsObject();
                if (oa.Count != ob.Count)
                {
                    return false;
                }
                foreach (KeyValuePair<string, JsonNode?> p in oa)
                {
                    if (!ob.TryGetPropertyValue(p.Key, out JsonNode? q) || !Same(p.Value, q))
                    {
                        return false;
                    }
                }
                return true;
            case JsonValueKind.Array:
                JsonArray aa = a.AsArray(), ab = b.AsArray();
                return aa.Count == ab.Count && aa.Zip(ab).All(x => Same(x.First, x.Second));
            case JsonValueKind.Number:
                JsonElement ea = a.GetValue<JsonElement>(), eb = b.GetValue<JsonElement>();
                if (ea.TryGetInt64(out long la) && eb.TryGetInt64(out long lb))
                {
                    return la == lb;
                }
                // Both sides are parsed text; a double survives a round trip through its shortest form exactly.
                return ea.GetDouble().Equals(eb.GetDouble());
            case JsonValueKind.String:
                return a.GetValue<string>() == b.GetValue<string>();
            default:
                return true; // true, false (kinds already equal)
        }
    }
}
