using System.Globalization;
using System.Text;

namespace EtlFast.Bson.Tests;

/// <summary>
/// One element as a walk sees it: dotted path, type and value rendered as text, so that our reader,
/// MongoDB.Bson (the oracle) and the hand-written corpus can be compared item by item.
/// Documents and arrays yield an item with an empty value, then their elements; a code-with-scope
/// yields its code, then the scope's elements under "path.$scope".
/// </summary>
public readonly record struct WalkItem(string Path, string Type, string Value)
{
    public override string ToString() => $"{Path} {Type} {Value}";
}

/// <summary>How values are rendered as text (the corpus files use the same conventions).</summary>
public static class Render
{
    public static string Double(double d)
    {
        if (double.IsNaN(d))
        {
            return $"NaN({BitConverter.DoubleToInt64Bits(d):x16})";
        }
        return d.ToString("R", CultureInfo.InvariantCulture);
    }

    public static string Binary(byte subtype, ReadOnlySpan<byte> payload) =>
        $"{subtype:x2}:{Convert.ToHexStringLower(payload)}";

    public static string Regex(string pattern, string options) => $"/{pattern}/{options}";

    public static string DBPointer(string ns, ReadOnlySpan<byte> oid) => $"{ns};{Convert.ToHexStringLower(oid)}";

    public static string Timestamp(uint seconds, uint increment) => $"{seconds}:{increment}";

    public static string Decimal128(ulong high, ulong low) => $"{high:x16}:{low:x16}";

    public static string Utf8(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);

    /// <summary>The path of a field; <paramref name="prefix"/> is null at the top level (a name may be empty).</summary>
    public static string Join(string? prefix, string name) => prefix is null ? name : prefix + "." + name;
}
