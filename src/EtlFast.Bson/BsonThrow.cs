using System.Buffers.Binary;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text;

namespace EtlFast.Bson;

/// <summary>Cold-path construction of <see cref="BsonException"/>: works out the dotted path of the fault.</summary>
internal static class BsonThrow
{
    [DoesNotReturn]
    [StackTraceHidden]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void At(ReadOnlySpan<byte> root, long baseOffset, int index, BsonErrorKind kind, string detail)
    {
        string path = PathOf(root, index);
        long offset = baseOffset + index;
        string where = path.Length == 0 ? "" : $" in field \"{path}\"";
        throw new BsonException(kind, offset, path, $"invalid BSON at byte offset {offset}{where}: {detail}");
    }

    /// <summary>
    /// The dotted path of the innermost element whose encoding contains <paramref name="index"/>,
    /// found by a bounds-checked walk from the top of the document that stops at the first element it
    /// cannot frame. Never throws.
    /// </summary>
    public static string PathOf(ReadOnlySpan<byte> root, int index)
    {
        var path = new StringBuilder();
        int pos = 4;
        int end = root.Length >= 4 ? Math.Min(root.Length, BinaryPrimitives.ReadInt32LittleEndian(root)) - 1 : 0;
        int depth = 0;
        while (pos < end && pos <= index && depth <= BsonReader.MaxDepth)
        {
            byte type = root[pos];
            int nameEnd = root.Slice(pos + 1, end - pos - 1).IndexOf((byte)0);
            if (nameEnd < 0)
            {
                break;
            }
            string name = Encoding.UTF8.GetString(root.Slice(pos + 1, nameEnd));
            int valueStart = pos + 1 + nameEnd + 1;
            int length = ValueLength(root, (BsonType)type, valueStart, end);
            if (index < valueStart + length || length < 0)
            {
                // The fault lies in this element (or the element cannot be framed: it is the culprit).
                if (path.Length > 0)
                {
                    path.Append('.');
                }
                path.Append(name);
                if (length > 0 && (type == (byte)BsonType.Document || type == (byte)BsonType.Array) && index >= valueStart + 4)
                {
                    pos = valueStart + 4;
                    end = valueStart + length - 1;
                    depth++;
                    continue;
                }
                break;
            }
            pos = valueStart + length;
        }
        return path.ToString();
    }

    /// <summary>Length of a value, or -1 when it cannot be framed inside [valueStart, end).</summary>
    private static int ValueLength(ReadOnlySpan<byte> root, BsonType type, int valueStart, int end)
    {
        int available = end - valueStart;
        int prefix = available < 4 ? int.MinValue / 2 : BinaryPrimitives.ReadInt32LittleEndian(root.Slice(valueStart));
        int Prefixed(int extra) => prefix < 0 || prefix > available ? -1 : prefix + extra;
        int length = type switch
        {
            BsonType.Double or BsonType.DateTime or BsonType.Int64 or BsonType.Timestamp => 8,
            BsonType.Int32 => 4,
            BsonType.Decimal128 => 16,
            BsonType.ObjectId => 12,
            BsonType.Boolean => 1,
            BsonType.Null or BsonType.Undefined or BsonType.MinKey or BsonType.MaxKey => 0,
            BsonType.String or BsonType.JavaScript or BsonType.Symbol => Prefixed(4),
            BsonType.Document or BsonType.Array or BsonType.JavaScriptWithScope => Prefixed(0),
            BsonType.Binary => Prefixed(5),
            BsonType.DBPointer => Prefixed(16),
            BsonType.Regex => CStrings(root, valueStart, end),
            _ => -1,
        };
        return length < 0 || length > available ? -1 : length;
    }

    private static int CStrings(ReadOnlySpan<byte> root, int start, int end)
    {
        int a = root.Slice(start, Math.Max(end - start, 0)).IndexOf((byte)0);
        if (a < 0)
        {
            return -1;
        }
        int b = root.Slice(start + a + 1, Math.Max(end - start - a - 1, 0)).IndexOf((byte)0);
        return b < 0 ? -1 : a + b + 2;
    }

    public static string TypeName(BsonType type) => type switch
    {
        BsonType.Double => "double",
        BsonType.String => "string",
        BsonType.Document => "document",
        BsonType.Array => "array",
        BsonType.Binary => "binary",
        BsonType.Undefined => "undefined",
        BsonType.ObjectId => "objectId",
        BsonType.Boolean => "bool",
        BsonType.DateTime => "date",
        BsonType.Null => "null",
        BsonType.Regex => "regex",
        BsonType.DBPointer => "dbPointer",
        BsonType.JavaScript => "javascript",
        BsonType.Symbol => "symbol",
        BsonType.JavaScriptWithScope => "javascriptWithScope",
        BsonType.Int32 => "int",
        BsonType.Timestamp => "timestamp",
        BsonType.Int64 => "long",
        BsonType.Decimal128 => "decimal",
        BsonType.MinKey => "minKey",
        BsonType.MaxKey => "maxKey",
        _ => $"0x{(byte)type:x2}",
    };
}
