using System.Globalization;
using EtlFast.Bson;

namespace EtlFast.Core.Inference;

/// <summary>The PostgreSQL type proposed for a field, and what the choice should tell the reader.</summary>
public sealed record TypeChoice(string Type, string? Note, bool Mixed);

/// <summary>
/// Chooses a column type from the BSON types a field showed, per the type table of docs/mapping.md: the
/// narrowest type that accepts every value seen. Types that no single column type accepts together
/// (a string here, an int there) are "mixed": the column becomes <c>jsonb</c>, which keeps every value.
/// </summary>
public static class ColumnTyper
{
    public static TypeChoice For(FieldStats field)
    {
        List<(BsonType Type, long Count)> types = field.Types();
        if (types.Count == 0)
        {
            return new TypeChoice("jsonb", "only null in the sample: jsonb keeps whatever comes", Mixed: false);
        }
        var set = new HashSet<BsonType>(types.Select(t => t.Type));
        string? breakdown = types.Count > 1 ? Breakdown(types) : null;

        if (set.IsSubsetOf(Numbers))
        {
            string type = set.Contains(BsonType.Decimal128) || set.SetEquals([BsonType.Double, BsonType.Int64]) || set.Count == 3
                ? "numeric"
                : set.Contains(BsonType.Double) ? "double precision"
                : set.Contains(BsonType.Int64) ? "bigint"
                : "integer";
            if (type == "numeric" && field.NonFiniteDoubles > 0)
            {
                return new TypeChoice("jsonb", $"numbers ({Breakdown(types)}) with NaN or infinite doubles, which numeric refuses: jsonb keeps them", Mixed: true);
            }
            return new TypeChoice(type, breakdown is null ? null : $"numbers: {breakdown}", Mixed: false);
        }
        if (set.IsSubsetOf(Texts))
        {
            string? note = set.Contains(BsonType.ObjectId) ? (breakdown is null ? "ObjectId as 24 hex characters" : $"{breakdown}; ObjectIds as 24 hex characters") : breakdown;
            return new TypeChoice("text", note, Mixed: false);
        }
        if (set.IsSubsetOf(Times))
        {
            // timestamptz keeps a BSON timestamp's seconds only, and the load refuses one whose increment it would drop.
            return set.Contains(BsonType.Timestamp)
                ? new TypeChoice("jsonb", "BSON timestamps kept whole as jsonb {\"$timestamp\": {\"t\": seconds, \"i\": increment}}: timestamptz would drop the increment" + (breakdown is null ? "" : $"; {breakdown}"), Mixed: false)
                : new TypeChoice("timestamptz", null, Mixed: false);
        }
        if (set.SetEquals([BsonType.Boolean]))
        {
            return new TypeChoice("boolean", null, Mixed: false);
        }
        if (set.SetEquals([BsonType.Binary]))
        {
            return field.UuidBinaries == field.Count(BsonType.Binary)
                ? new TypeChoice("uuid", "binary subtype 4", Mixed: false)
                : new TypeChoice("bytea", null, Mixed: false);
        }
        if (set.Count == 1)
        {
            // Regex, code with scope, DBPointer, undefined, min/max key: only jsonb takes them.
            return new TypeChoice("jsonb", $"{BsonTypeNames.Of(types[0].Type)} values as Extended JSON", Mixed: false);
        }
        return new TypeChoice("jsonb", Breakdown(types), Mixed: true);
    }

    /// <summary>"string 62.5%, int 37.5%": each type's share of the non-null values.</summary>
    public static string Breakdown(List<(BsonType Type, long Count)> types)
    {
        long total = types.Sum(t => t.Count);
        return string.Join(", ", types.Select(t => $"{BsonTypeNames.Of(t.Type)} {Percent(t.Count, total)}"));
    }

    /// <summary>A share as "37.5%", "0.1%", "<0.1%" or "100%".</summary>
    public static string Percent(long part, long whole)
    {
        if (whole <= 0 || part >= whole)
        {
            return "100%";
        }
        double p = 100.0 * part / whole;
        return p < 0.1 ? "<0.1%" : (Math.Floor(p * 10) / 10).ToString("0.0", CultureInfo.InvariantCulture) + "%";
    }

    private static readonly HashSet<BsonType> Numbers = [BsonType.Int32, BsonType.Int64, BsonType.Double, BsonType.Decimal128];
    private static readonly HashSet<BsonType> Texts = [BsonType.String, BsonType.Symbol, BsonType.JavaScript, BsonType.ObjectId];
    private static readonly HashSet<BsonType> Times = [BsonType.DateTime, BsonType.Timestamp];
}
