using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using EtlFast.Bson;
using EtlFast.Core.Plan;

namespace EtlFast.Core.Engine;

/// <summary>Values quoted in refusals, so the user sees what was refused (cold path: allocates).</summary>
internal static class ValueText
{
    /// <summary>Characters of a string shown in a message before it is cut with "...".</summary>
    private const int PreviewChars = 40;

    /// <summary>A numeric value as decimal text: 1234.5, 1.005 (a decimal128 as its digits, not {"$numberDecimal": ...}).</summary>
    public static string Number(in Slot slot, ReadOnlySpan<byte> doc)
    {
        ReadOnlySpan<byte> v = doc.Slice(slot.ValueStart, slot.ValueLength);
        switch (slot.Type)
        {
            case BsonType.Int32:
                return BinaryPrimitives.ReadInt32LittleEndian(v).ToString(CultureInfo.InvariantCulture);
            case BsonType.Int64:
                return BinaryPrimitives.ReadInt64LittleEndian(v).ToString(CultureInfo.InvariantCulture);
            case BsonType.Double:
                return BinaryPrimitives.ReadDoubleLittleEndian(v).ToString("R", CultureInfo.InvariantCulture);
            case BsonType.Decimal128:
                var bits = new Decimal128Bits(BinaryPrimitives.ReadUInt64LittleEndian(v), BinaryPrimitives.ReadUInt64LittleEndian(v[8..]));
                Span<byte> text = stackalloc byte[Decimal128Bits.MaxUtf8Length];
                return Encoding.UTF8.GetString(text[..bits.FormatUtf8(text)]);
            default:
                return BsonTypeNames.Of(slot.Type);
        }
    }

    /// <summary>Why a string does not fit varchar(n): its length, a preview, and any trailing spaces PostgreSQL would drop.</summary>
    public static string TooLong(ColumnPlan column, in Slot slot, ReadOnlySpan<byte> doc)
    {
        if (slot.Type == BsonType.ObjectId)
        {
            return $"an ObjectId is stored as 24 hex characters, {column.SqlType} holds at most {column.MaxChars}";
        }
        ReadOnlySpan<byte> v = doc.Slice(slot.ValueStart, slot.ValueLength);
        string s = Encoding.UTF8.GetString(v.Slice(4, v.Length - 5));
        int chars = ValueEncoder.CharCount(v.Slice(4, v.Length - 5));
        string preview = s.EnumerateRunes().Count() <= PreviewChars ? s : string.Concat(s.EnumerateRunes().Take(PreviewChars).Select(r => r.ToString())) + "...";
        string spaces = "";
        int trailing = s.Length - s.TrimEnd(' ').Length;
        if (trailing > 0 && chars - trailing <= column.MaxChars)
        {
            spaces = $"; PostgreSQL would silently drop its {chars - column.MaxChars} trailing space{(chars - column.MaxChars == 1 ? "" : "s")} past {column.MaxChars}";
        }
        return $"the string \"{preview}\" has {chars} characters, {column.SqlType} holds at most {column.MaxChars}{spaces}";
    }

    /// <summary>The dotted path, inside the value, of the first key a subdocument holds twice ("meta.tag"); "" when none.</summary>
    public static string RepeatedKey(in Slot slot, ReadOnlySpan<byte> doc)
    {
        BsonReader holder = BsonReader.OverElement(doc, 0, slot.ElementStart, slot.ElementEnd, slot.Depth);
        holder.Read();
        return slot.Type is BsonType.Document or BsonType.Array ? FirstRepeat(holder.GetDocument(), slot.Type == BsonType.Array) ?? "" : "";
    }

    private static string? FirstRepeat(BsonReader reader, bool isArray)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read())
        {
            string name = Encoding.UTF8.GetString(reader.Name);
            if (!isArray && !names.Add(name))
            {
                return name;
            }
            if (reader.Type is BsonType.Document or BsonType.Array && FirstRepeat(reader.GetDocument(), reader.Type == BsonType.Array) is { } inner)
            {
                return name + "." + inner;
            }
        }
        return null;
    }
}
