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

    /// <summary>A fault in the framing of a whole document in a stream: there is no field to name.</summary>
    [DoesNotReturn]
    [StackTraceHidden]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void AtStream(long offset, BsonErrorKind kind, string detail) =>
        throw new BsonException(kind, offset, "", $"invalid BSON at byte offset {offset}: {detail}");

    /// <summary>
    /// The dotted path of the innermost element whose encoding contains <paramref name="index"/>,
    /// found by a bounds-checked walk from the top of the document that stops at the first element it
    /// cannot frame. Array items are named by their position (whatever key bytes they carry), and the
    /// scope of a code-with-scope value by a <c>$scope</c> segment, e.g. <c>messages.2.body</c>,
    /// <c>fn.$scope.x</c>. A fault in a document's own length prefix or terminator is named by the
    /// path of that document. Never throws.
    /// </summary>
    public static string PathOf(ReadOnlySpan<byte> root, int index)
    {
        if (root.Length < 5)
        {
            return "";
        }
        int prefix = BinaryPrimitives.ReadInt32LittleEndian(root);
        int end = Math.Min(root.Length, prefix) - 1;   // index of the current document's terminator
        int pos = 4;                                    // index of the next element's type byte
        bool inArray = false;
        int ordinal = 0;
        var path = new StringBuilder();
        for (int depth = 1; depth <= BsonReader.MaxDepth + 1 && pos <= index && index <= end && pos < end;)
        {
            byte type = root[pos];
            int nameLength = root.Slice(pos + 1, end - pos - 1).IndexOf((byte)0);
            if (nameLength < 0 || BsonLayout.Of(type) == BsonLayout.Unknown)
            {
                break; // no name, or a type byte that makes what follows meaningless: the document is at fault
            }
            int valueStart = pos + 1 + nameLength + 1;
            int length = ValueLength(root, (BsonType)type, valueStart, end);
            if (length >= 0 && index >= valueStart + length)
            {
                pos = valueStart + length;
                ordinal++;
                continue;
            }
            // The fault lies in this element, or the element cannot be framed and so is the culprit.
            if (depth > 1)
            {
                path.Append('.'); // not path.Length > 0: a field name may be empty
            }
            if (inArray)
            {
                path.Append(ordinal);
            }
            else
            {
                path.Append(Encoding.UTF8.GetString(root.Slice(pos + 1, nameLength)));
            }
            if (length < 0)
            {
                break;
            }
            int inner = valueStart;
            if (type == (byte)BsonType.JavaScriptWithScope)
            {
                int code = BinaryPrimitives.ReadInt32LittleEndian(root.Slice(valueStart + 4));
                inner = valueStart + 8 + code; // framed by ValueLength: lies inside the value
                if (index < inner + 4)
                {
                    break;
                }
                path.Append(".$scope");
            }
            else if (type != (byte)BsonType.Document && type != (byte)BsonType.Array)
            {
                break;
            }
            pos = inner + 4;
            end = valueStart + length - 1;
            inArray = type == (byte)BsonType.Array;
            ordinal = 0;
            depth++;
        }
        return path.ToString();
    }

    /// <summary>
    /// Length of a value, or -1 when it cannot be framed inside [valueStart, end). Lengths agree with
    /// <see cref="BsonReader.Read"/> for every value the reader accepts; embedded documents need a
    /// terminator at their end to be entered.
    /// </summary>
    private static int ValueLength(ReadOnlySpan<byte> root, BsonType type, int valueStart, int end)
    {
        int available = end - valueStart;
        int layout = BsonLayout.Of((byte)type);
        if (layout != BsonLayout.Variable)
        {
            return layout == BsonLayout.Unknown || layout > available ? -1 : layout;
        }
        if (type == BsonType.Regex)
        {
            return CStrings(root, valueStart, end);
        }
        if (available < 4)
        {
            return -1;
        }
        long prefix = BinaryPrimitives.ReadInt32LittleEndian(root.Slice(valueStart));
        long length = type switch
        {
            BsonType.String or BsonType.JavaScript or BsonType.Symbol => prefix < 1 ? -1 : prefix + 4,
            BsonType.Document or BsonType.Array => prefix < 5 ? -1 : prefix,
            BsonType.Binary => prefix < 0 ? -1 : prefix + 5,
            BsonType.DBPointer => prefix < 1 ? -1 : prefix + 16,
            _ => CodeWithScope(root, valueStart, prefix, available),
        };
        if (length < 0 || length > available)
        {
            return -1;
        }
        if ((type == BsonType.Document || type == BsonType.Array) && root[valueStart + (int)length - 1] != 0)
        {
            return -1;
        }
        return (int)length;
    }

    private static long CodeWithScope(ReadOnlySpan<byte> root, int valueStart, long total, int available)
    {
        if (total < 14 || total > available)
        {
            return -1;
        }
        long code = BinaryPrimitives.ReadInt32LittleEndian(root.Slice(valueStart + 4));
        if (code < 1 || code > total - 13)
        {
            return -1;
        }
        int scopeStart = valueStart + 8 + (int)code;
        long scope = BinaryPrimitives.ReadInt32LittleEndian(root.Slice(scopeStart));
        return scope >= 5 && 8 + code + scope == total && root[scopeStart + (int)scope - 1] == 0 ? total : -1;
    }

    private static int CStrings(ReadOnlySpan<byte> root, int start, int end)
    {
        int a = root.Slice(start, Math.Max(end - start, 0)).IndexOf((byte)0);
        if (a < 0)
        {
            return -1;
        }
        int b = root.Slice(start + a + 1, end - start - a - 1).IndexOf((byte)0);
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
