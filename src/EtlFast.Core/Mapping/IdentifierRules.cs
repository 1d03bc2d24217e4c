using System.Text;

namespace EtlFast.Core.Mapping;

/// <summary>PostgreSQL identifier limits for table, column and schema names.</summary>
internal static class IdentifierRules
{
    /// <summary>NAMEDATALEN - 1: PostgreSQL silently truncates longer names, so two long names could collide.</summary>
    public const int MaxBytes = 63;

    /// <summary>Null when <paramref name="name"/> is usable, else the reason (what names it: "table name").</summary>
    public static string? Check(string name, string what)
    {
        if (name.Length == 0)
        {
            return $"{what} is empty; give it a name";
        }
        if (name.Contains('\0', StringComparison.Ordinal))
        {
            return $"{what} \"{name.Replace("\0", "\\u0000", StringComparison.Ordinal)}\" contains a NUL character, which PostgreSQL names cannot hold; remove it";
        }
        int bytes = Encoding.UTF8.GetByteCount(name);
        if (bytes > MaxBytes)
        {
            return $"{what} \"{name}\" is {bytes} bytes long in UTF-8; PostgreSQL would silently truncate it to {MaxBytes} bytes, so shorten it to at most {MaxBytes}";
        }
        return null;
    }
}
