using System.Globalization;
using MongoDB.Bson;

namespace EtlFast.Bson.Tests;

/// <summary>Walks a MongoDB.Bson object model document (the test oracle) in the same shape as <see cref="ReaderWalk"/>.</summary>
public static class OracleWalk
{
    public static List<WalkItem> Of(BsonDocument document)
    {
        var items = new List<WalkItem>();
        VisitDocument(document, null, items);
        return items;
    }

    private static void VisitDocument(BsonDocument document, string? prefix, List<WalkItem> items)
    {
        foreach (BsonElement element in document)
        {
            Visit(element.Value, Render.Join(prefix, element.Name), items);
        }
    }

    private static void Visit(BsonValue value, string path, List<WalkItem> items)
    {
        switch (value)
        {
            case BsonDocument d:
                items.Add(new WalkItem(path, "Document", ""));
                VisitDocument(d, path, items);
                return;
            case BsonArray a:
                items.Add(new WalkItem(path, "Array", ""));
                for (int i = 0; i < a.Count; i++)
                {
                    Visit(a[i], path + "." + i.ToString(CultureInfo.InvariantCulture), items);
                }
                return;
            case BsonJavaScriptWithScope cws:
                items.Add(new WalkItem(path, "JavaScriptWithScope", cws.Code));
                VisitDocument(cws.Scope, path + ".$scope", items);
                return;
        }
        (string type, string text) = value switch
        {
            BsonDouble d => ("Double", Render.Double(d.Value)),
            BsonString s => ("String", s.Value),
            BsonJavaScript js => ("JavaScript", js.Code),
            BsonSymbol sym => ("Symbol", sym.Name),
            BsonBinaryData bin => ("Binary", Render.Binary((byte)bin.SubType, bin.Bytes)),
            BsonUndefined => ("Undefined", ""),
            BsonObjectId oid => ("ObjectId", Convert.ToHexStringLower(oid.Value.ToByteArray())),
            BsonBoolean b => ("Boolean", b.Value ? "true" : "false"),
            BsonDateTime dt => ("DateTime", dt.MillisecondsSinceEpoch.ToString(CultureInfo.InvariantCulture)),
            BsonNull => ("Null", ""),
            BsonRegularExpression re => ("Regex", Render.Regex(re.Pattern, re.Options)),
            BsonInt32 i => ("Int32", i.Value.ToString(CultureInfo.InvariantCulture)),
            BsonTimestamp ts => ("Timestamp", Render.Timestamp((uint)ts.Timestamp, (uint)ts.Increment)),
            BsonInt64 l => ("Int64", l.Value.ToString(CultureInfo.InvariantCulture)),
            BsonDecimal128 dec => ("Decimal128", Render.Decimal128(dec.Value.GetIEEEHighBits(), dec.Value.GetIEEELowBits())),
            BsonMinKey => ("MinKey", ""),
            BsonMaxKey => ("MaxKey", ""),
            _ => throw new InvalidOperationException($"oracle has no rendering for {value.BsonType}"),
        };
        items.Add(new WalkItem(path, type, text));
    }
}
