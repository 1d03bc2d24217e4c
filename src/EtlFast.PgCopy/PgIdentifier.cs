using System.Buffers;
using System.Text;

namespace EtlFast.PgCopy;

/// <summary>
/// Table, schema and column names as they go into SQL text. Every name is quoted, so case, spaces and
/// quotes survive and a name like <c>x"; drop table users; --</c> stays a (strange) name. Names
/// PostgreSQL would alter are refused instead: it silently truncates identifiers past 63 bytes,
/// which would load into a table other than the one asked for.
/// </summary>
public static class PgIdentifier
{
    /// <summary>NAMEDATALEN - 1: the most bytes (in the server's encoding, UTF-8 here) a name keeps.</summary>
    public const int MaxBytes = 63;

    /// <summary>The name as a quoted SQL identifier: <c>"name"</c>, embedded quotes doubled.</summary>
    /// <exception cref="ArgumentException">The name is empty, has NUL or a lone surrogate, or is over 63 bytes.</exception>
    public static string Quote(string name)
    {
        Validate(name);
        return string.Concat("\"", name.Replace("\"", "\"\"", StringComparison.Ordinal), "\"");
    }

    /// <summary><c>"schema"."name"</c>, both parts validated and quoted.</summary>
    public static string Qualify(string schema, string name) => string.Concat(Quote(schema), ".", Quote(name));

    /// <summary>Throws an <see cref="ArgumentException"/> that says what is wrong when <paramref name="name"/> cannot be used as it is.</summary>
    public static void Validate(string name)
    {
        if (!IsValid(name, out string? problem))
        {
            throw new ArgumentException(problem, nameof(name));
        }
    }

    /// <summary>True when PostgreSQL would keep <paramref name="name"/> exactly; otherwise a message that says why not.</summary>
    public static bool IsValid(string name, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0)
        {
            problem = "an identifier cannot be empty (PostgreSQL rejects a zero-length delimited identifier)";
            return false;
        }
        int nul = name.IndexOf('\0', StringComparison.Ordinal);
        if (nul >= 0)
        {
            problem = $"identifier \"{Printable(name)}\" contains a NUL character at position {nul}; PostgreSQL identifiers cannot hold one";
            return false;
        }
        int bytes = 0;
        ReadOnlySpan<char> rest = name;
        while (!rest.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(rest, out Rune rune, out int used) != OperationStatus.Done)
            {
                problem = $"identifier \"{Printable(name)}\" is not valid UTF-16 (a lone surrogate at position {name.Length - rest.Length}); it cannot be sent as UTF-8";
                return false;
            }
            bytes += rune.Utf8SequenceLength;
            rest = rest.Slice(used);
        }
        if (bytes > MaxBytes)
        {
            problem = $"identifier \"{name}\" is {bytes} bytes long in UTF-8; PostgreSQL keeps only the first {MaxBytes} and would silently truncate it. Hint: choose a shorter name.";
            return false;
        }
        problem = null;
        return true;
    }

    private static string Printable(string name) => name.Replace("\0", "\\0", StringComparison.Ordinal);
}
