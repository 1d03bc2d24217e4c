using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Text.Unicode;

namespace EtlFast.Bson;

/// <summary>
/// Forward-only, allocation-free reader of the elements of one BSON document (or array) held in a span.
/// <see cref="Read"/> checks every element's framing against the bounds of its document before it
/// exposes it, so a malformed document ends in a <see cref="BsonException"/>, never in an out-of-range read.
/// Field names and strings are checked to be UTF-8 when they are read. An embedded document's (or
/// code-with-scope scope's) length and terminator are checked when its element is read, its elements
/// only when a nested reader walks them: <see cref="BsonValidator"/> checks a whole document up front.
/// Error offsets are absolute (the base offset plus the index in the document) and error paths dotted
/// (<c>messages.2.body</c>, <c>fn.$scope.x</c>).
/// </summary>
public ref partial struct BsonReader
{
    /// <summary>Deepest nesting of documents and arrays accepted (the top-level document is depth 1).</summary>
    public const int MaxDepth = 100;

    /// <summary>MongoDB's largest document (16 MiB) plus the headroom mongodump allows for its own records.</summary>
    public const int DefaultMaxDocumentSize = 16 * 1024 * 1024 + 16 * 1024;

    /// <summary>
    /// Largest length prefix a stream of documents is framed with: a document between
    /// <see cref="DefaultMaxDocumentSize"/> and this is whole and readable, just over MongoDB's limit (it
    /// can be rejected and skipped); a prefix above it is taken for corruption, where the stream cannot be
    /// resynchronised.
    /// </summary>
    public const int MaxFramedDocumentSize = 64 * 1024 * 1024;

    private readonly ReadOnlySpan<byte> _root;
    private readonly long _baseOffset;
    private readonly int _end;      // index in _root of this document's 0x00 terminator
    private readonly int _depth;
    private int _pos;               // index in _root of the next element's type byte

    private BsonType _type;
    private int _nameStart;
    private int _nameLength;
    private int _valueStart;
    private int _valueLength;

    private BsonReader(ReadOnlySpan<byte> root, long baseOffset, int start, int end, int depth)
    {
        _root = root;
        _baseOffset = baseOffset;
        _pos = start;
        _end = end;
        _depth = depth;
        _type = BsonType.EndOfDocument;
        _nameStart = _nameLength = _valueStart = _valueLength = 0;
    }

    /// <summary>
    /// A reader over a whole top-level document. The span must hold exactly one document (its
    /// length prefix equal to the span's length). <paramref name="baseOffset"/> is the document's
    /// position in its stream, used in error offsets.
    /// </summary>
    public static BsonReader Create(ReadOnlySpan<byte> document, long baseOffset = 0)
    {
        if (document.Length < 5)
        {
            BsonThrow.At(document, baseOffset, 0, BsonErrorKind.InvalidDocumentLength,
                $"document is {document.Length} bytes; a BSON document has at least 5");
        }
        int length = BinaryPrimitives.ReadInt32LittleEndian(document);
        if (length != document.Length)
        {
            BsonThrow.At(document, baseOffset, 0, BsonErrorKind.InvalidDocumentLength,
                $"document length prefix says {length} bytes but {document.Length} are given");
        }
        if (document[length - 1] != 0)
        {
            BsonThrow.At(document, baseOffset, length - 1, BsonErrorKind.MissingTerminator,
                "document does not end with 0x00");
        }
        return new BsonReader(document, baseOffset, 4, length - 1, 1);
    }

    /// <summary>The type of the current element.</summary>
    public readonly BsonType Type => _type;

    /// <summary>The current element's name, UTF-8, without its terminator (array items: "0", "1", ...).</summary>
    public readonly ReadOnlySpan<byte> Name => _root.Slice(_nameStart, _nameLength);

    /// <summary>The current element's value bytes exactly as encoded (length prefixes included).</summary>
    public readonly ReadOnlySpan<byte> ValueBytes => _root.Slice(_valueStart, _valueLength);

    /// <summary>Index of the current value in the top-level document span.</summary>
    public readonly int ValueStart => _valueStart;

    /// <summary>Length of the current value's encoding.</summary>
    public readonly int ValueLength => _valueLength;

    /// <summary>Index of the current element (its type byte) in the top-level document span.</summary>
    public readonly int ElementStart => _nameStart - 1;

    /// <summary>Nesting depth of the document this reader walks (top level = 1).</summary>
    public readonly int Depth => _depth;

    /// <summary>The top-level document this reader (or its parent) was created over.</summary>
    public readonly ReadOnlySpan<byte> Root => _root;

    /// <summary>Stream offset of the top-level document.</summary>
    public readonly long BaseOffset => _baseOffset;

    /// <summary>Moves to the next element. False at the end of the document.</summary>
    public bool Read()
    {
        int pos = _pos;
        if (pos >= _end)
        {
            _type = BsonType.EndOfDocument;
            return false;
        }
        ReadOnlySpan<byte> root = _root;
        byte typeByte = root[pos];
        byte layout = BsonLayout.Of(typeByte);
        if (layout == BsonLayout.Unknown)
        {
            UnknownType(pos, typeByte);
        }
        var type = (BsonType)typeByte;
        int nameStart = pos + 1;
        // Field names are short and nearly always ASCII: one scalar pass finds the terminator and
        // proves the name valid, cheaper than a vectorised search plus a UTF-8 validation call.
        int nameLength = -1;
        int limit = Math.Min(_end, nameStart + 32);
        int bits = 0;
        for (int i = nameStart; i < limit; i++)
        {
            int b = root[i];
            if (b == 0)
            {
                nameLength = i - nameStart;
                break;
            }
            bits |= b;
        }
        if (nameLength < 0 || bits >= 0x80)
        {
            nameLength = LongOrNonAsciiName(pos);
        }
        int valueStart = nameStart + nameLength + 1;
        int available = _end - valueStart;
        int length = layout != BsonLayout.Variable ? layout : type switch
        {
            BsonType.String or BsonType.JavaScript or BsonType.Symbol => StringLength(valueStart, available),
            BsonType.Document or BsonType.Array => DocumentLength(valueStart, available),
            BsonType.Binary => BinaryLength(valueStart, available),
            BsonType.Regex => RegexLength(valueStart, available),
            BsonType.DBPointer => DBPointerLength(valueStart, available),
            _ => CodeWithScopeLength(valueStart, available),
        };
        if (length > available)
        {
            Truncated(type, valueStart, length, available);
        }
        if (type == BsonType.Boolean && root[valueStart] > 1)
        {
            InvalidBoolean(valueStart);
        }
        _type = type;
        _nameStart = nameStart;
        _nameLength = nameLength;
        _valueStart = valueStart;
        _valueLength = length;
        _pos = valueStart + length;
        return true;
    }

    /// <summary>Skips to the element named <paramref name="name"/>; false when the document has none (the reader is then at its end).</summary>
    public bool ReadTo(ReadOnlySpan<byte> name)
    {
        while (Read())
        {
            if (Name.SequenceEqual(name))
            {
                return true;
            }
        }
        return false;
    }

    // The *Length helpers frame one variable-length value that starts at `start` with `available` bytes
    // left before its document's terminator. Each either returns the value's length or throws; a length
    // larger than `available` is returned only for the caller to report as TruncatedValue. Every
    // comparison is written as `x > available - k` with both sides small non-negative ints, so no
    // arithmetic on an attacker-chosen prefix can overflow.

    private readonly int StringLength(int start, int available)
    {
        if (available < 4)
        {
            return 5; // reported as truncated by the caller
        }
        int length = BinaryPrimitives.ReadInt32LittleEndian(_root.Slice(start));
        if (length < 1 || length > available - 4)
        {
            BadStringLength(start, length, available);
        }
        if (_root[start + 4 + length - 1] != 0)
        {
            Fail(start + 4 + length - 1, BsonErrorKind.InvalidStringLength, "string does not end with 0x00");
        }
        ReadOnlySpan<byte> text = _root.Slice(start + 4, length - 1);
        if (!IsShortAscii(text) && !Utf8.IsValid(text))
        {
            Fail(start + 4, BsonErrorKind.InvalidUtf8, "string is not valid UTF-8");
        }
        return 4 + length;
    }

    private readonly int DocumentLength(int start, int available)
    {
        if (available < 4)
        {
            return 5; // truncated
        }
        int length = BinaryPrimitives.ReadInt32LittleEndian(_root.Slice(start));
        if (length < 5 || length > available)
        {
            BadDocumentLength(start, length, available);
        }
        if (_root[start + length - 1] != 0)
        {
            Fail(start + length - 1, BsonErrorKind.MissingTerminator, "embedded document does not end with 0x00");
        }
        return length;
    }

    private readonly int BinaryLength(int start, int available)
    {
        if (available < 5)
        {
            return 5; // truncated
        }
        int length = BinaryPrimitives.ReadInt32LittleEndian(_root.Slice(start));
        if (length < 0 || length > available - 5)
        {
            BsonThrow.At(_root, _baseOffset, start, BsonErrorKind.InvalidBinaryLength,
                $"binary length prefix is {length} but {available - 5} bytes remain in its document");
        }
        var subtype = (BsonBinarySubtype)_root[start + 4];
        if (subtype == BsonBinarySubtype.BinaryOld)
        {
            // The old subtype repeats the payload length inside the payload; GetBinary relies on it.
            int inner = length >= 4 ? BinaryPrimitives.ReadInt32LittleEndian(_root.Slice(start + 5)) : -1;
            if (length < 4 || inner != length - 4)
            {
                BsonThrow.At(_root, _baseOffset, start, BsonErrorKind.InvalidBinaryLength,
                    $"old binary (subtype 0x02) inner length {inner} disagrees with its outer length {length}");
            }
        }
        else if (length != 16 && subtype is BsonBinarySubtype.Uuid or BsonBinarySubtype.UuidLegacy)
        {
            // MongoDB's drivers refuse such values too; a uuid column could not take them.
            BsonThrow.At(_root, _baseOffset, start, BsonErrorKind.InvalidBinaryLength,
                $"UUID binary (subtype 0x{(byte)subtype:x2}) is {length} bytes, not 16");
        }
        return 5 + length;
    }

    private readonly int CStringLength(int start, int available)
    {
        int n = _root.Slice(start, available).IndexOf((byte)0);
        if (n < 0)
        {
            BsonThrow.At(_root, _baseOffset, start, BsonErrorKind.TruncatedValue, "cstring has no 0x00 terminator inside its document");
        }
        if (!Utf8.IsValid(_root.Slice(start, n)))
        {
            BsonThrow.At(_root, _baseOffset, start, BsonErrorKind.InvalidUtf8, "cstring is not valid UTF-8");
        }
        return n + 1;
    }

    private readonly int RegexLength(int start, int available)
    {
        int pattern = CStringLength(start, available);
        int options = CStringLength(start + pattern, available - pattern);
        return pattern + options;
    }

    private readonly int DBPointerLength(int start, int available)
    {
        int ns = StringLength(start, available);
        return ns > available ? ns : ns + 12;
    }

    private readonly int CodeWithScopeLength(int start, int available)
    {
        if (available < 4)
        {
            return 14; // truncated
        }
        int total = BinaryPrimitives.ReadInt32LittleEndian(_root.Slice(start));
        if (total < 14 || total > available)
        {
            BsonThrow.At(_root, _baseOffset, start, BsonErrorKind.InvalidCodeWithScope,
                $"code-with-scope length prefix is {total} but {available} bytes remain in its document (at least 14 are needed)");
        }
        // The code string and the scope must both lie inside the total and fill it exactly.
        int code = StringLength(start + 4, total - 4);
        int scopeStart = start + 4 + code;
        int scopeAvailable = total - 4 - code;
        int scope = scopeAvailable < 4 ? -1 : BinaryPrimitives.ReadInt32LittleEndian(_root.Slice(scopeStart));
        if (scope != scopeAvailable)
        {
            BsonThrow.At(_root, _baseOffset, scopeAvailable < 4 ? start : scopeStart, BsonErrorKind.InvalidCodeWithScope,
                $"code-with-scope length prefix is {total} but its code takes {4 + code} and its scope document says {scope} bytes");
        }
        if (scope < 5)
        {
            BsonThrow.At(_root, _baseOffset, scopeStart, BsonErrorKind.InvalidDocumentLength, $"scope document length prefix is {scope}; a document has at least 5 bytes");
        }
        if (_root[scopeStart + scope - 1] != 0)
        {
            BsonThrow.At(_root, _baseOffset, scopeStart + scope - 1, BsonErrorKind.MissingTerminator, "scope document does not end with 0x00");
        }
        return total;
    }

    // Most strings in real documents are short ASCII words, for which a scalar pass beats a call
    // into the vectorised validator; longer or non-ASCII text goes to Utf8.IsValid.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsShortAscii(ReadOnlySpan<byte> text)
    {
        if (text.Length > 16)
        {
            return false;
        }
        int bits = 0;
        foreach (byte b in text)
        {
            bits |= b;
        }
        return bits < 0x80;
    }

    private readonly int LongOrNonAsciiName(int pos)
    {
        int nameStart = pos + 1;
        int nameLength = _root.Slice(nameStart, _end - nameStart).IndexOf((byte)0);
        if (nameLength < 0)
        {
            Fail(pos, BsonErrorKind.UnterminatedName, "field name has no 0x00 terminator inside its document");
        }
        if (!Utf8.IsValid(_root.Slice(nameStart, nameLength)))
        {
            Fail(nameStart, BsonErrorKind.InvalidUtf8, "field name is not valid UTF-8");
        }
        return nameLength;
    }

    // Cold paths: message formatting stays out of Read so the hot loop stays small.

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly void Fail(int index, BsonErrorKind kind, string detail) => BsonThrow.At(_root, _baseOffset, index, kind, detail);

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly void Truncated(BsonType type, int valueStart, int length, int available) =>
        Fail(valueStart, BsonErrorKind.TruncatedValue,
            $"{BsonThrow.TypeName(type)} value needs {length} bytes but only {available} remain in its document");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly void BadStringLength(int start, int length, int available) =>
        Fail(start, BsonErrorKind.InvalidStringLength, $"string length prefix is {length} but {available - 4} bytes remain in its document");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly void BadDocumentLength(int start, int length, int available) =>
        Fail(start, BsonErrorKind.InvalidDocumentLength,
            $"embedded document length prefix is {length} but {available} bytes remain in its parent (at least 5 are needed)");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly void InvalidBoolean(int valueStart) =>
        Fail(valueStart, BsonErrorKind.InvalidBoolean, $"boolean byte is 0x{_root[valueStart]:x2}, not 0x00 or 0x01");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly void UnknownType(int pos, byte type)
    {
        string detail = type == 0
            ? "0x00 (end of document) found before the document's last byte"
            : $"unknown element type 0x{type:x2}";
        BsonThrow.At(_root, _baseOffset, pos, BsonErrorKind.UnknownType, detail);
    }

    // ----- typed accessors of the current element (callers check Type first) -----

    public readonly double GetDouble() => BinaryPrimitives.ReadDoubleLittleEndian(_root.Slice(_valueStart, 8));

    public readonly int GetInt32() => BinaryPrimitives.ReadInt32LittleEndian(_root.Slice(_valueStart, 4));

    public readonly long GetInt64() => BinaryPrimitives.ReadInt64LittleEndian(_root.Slice(_valueStart, 8));

    public readonly bool GetBoolean() => _root[_valueStart] != 0;

    /// <summary>UTC datetime as milliseconds since the Unix epoch.</summary>
    public readonly long GetDateTime() => BinaryPrimitives.ReadInt64LittleEndian(_root.Slice(_valueStart, 8));

    /// <summary>Timestamp as (seconds since the epoch, increment).</summary>
    public readonly (uint Seconds, uint Increment) GetTimestamp()
    {
        ulong v = BinaryPrimitives.ReadUInt64LittleEndian(_root.Slice(_valueStart, 8));
        return ((uint)(v >> 32), (uint)v);
    }

    /// <summary>Decimal128 as its two little-endian 64-bit halves (IEEE 754-2008 BID encoding).</summary>
    public readonly Decimal128Bits GetDecimal128() => new(
        BinaryPrimitives.ReadUInt64LittleEndian(_root.Slice(_valueStart, 8)),
        BinaryPrimitives.ReadUInt64LittleEndian(_root.Slice(_valueStart + 8, 8)));

    /// <summary>The 12 bytes of an ObjectId.</summary>
    public readonly ReadOnlySpan<byte> GetObjectId() => _root.Slice(_valueStart, 12);

    /// <summary>UTF-8 bytes of a string, JavaScript code or symbol, without the terminator (may contain 0x00).</summary>
    public readonly ReadOnlySpan<byte> GetStringUtf8()
    {
        int length = BinaryPrimitives.ReadInt32LittleEndian(_root.Slice(_valueStart, 4));
        return _root.Slice(_valueStart + 4, length - 1);
    }

    /// <summary>Subtype and payload of a binary value (for subtype 0x02 the payload after its inner length).</summary>
    public readonly ReadOnlySpan<byte> GetBinary(out BsonBinarySubtype subtype)
    {
        int length = BinaryPrimitives.ReadInt32LittleEndian(_root.Slice(_valueStart, 4));
        subtype = (BsonBinarySubtype)_root[_valueStart + 4];
        return subtype == BsonBinarySubtype.BinaryOld
            ? _root.Slice(_valueStart + 9, length - 4)
            : _root.Slice(_valueStart + 5, length);
    }

    /// <summary>Pattern and options of a regular expression, UTF-8 without terminators.</summary>
    public readonly ReadOnlySpan<byte> GetRegex(out ReadOnlySpan<byte> options)
    {
        ReadOnlySpan<byte> value = _root.Slice(_valueStart, _valueLength);
        int p = value.IndexOf((byte)0);
        options = value.Slice(p + 1, _valueLength - p - 2);
        return value.Slice(0, p);
    }

    /// <summary>Namespace and ObjectId of a (deprecated) DBPointer.</summary>
    public readonly ReadOnlySpan<byte> GetDBPointer(out ReadOnlySpan<byte> objectId)
    {
        int length = BinaryPrimitives.ReadInt32LittleEndian(_root.Slice(_valueStart, 4));
        objectId = _root.Slice(_valueStart + 4 + length, 12);
        return _root.Slice(_valueStart + 4, length - 1);
    }

    /// <summary>A reader over the current embedded document or array.</summary>
    public readonly BsonReader GetDocument()
    {
        Debug.Assert(_type is BsonType.Document or BsonType.Array);
        return Nested(_valueStart, _valueLength);
    }

    /// <summary>Code and a reader over the scope document of a code-with-scope value.</summary>
    public readonly BsonReader GetCodeWithScope(out ReadOnlySpan<byte> code)
    {
        int codeLength = BinaryPrimitives.ReadInt32LittleEndian(_root.Slice(_valueStart + 4, 4));
        code = _root.Slice(_valueStart + 8, codeLength - 1);
        int scopeStart = _valueStart + 8 + codeLength;
        return Nested(scopeStart, _valueStart + _valueLength - scopeStart);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly BsonReader Nested(int start, int length)
    {
        if (_depth >= MaxDepth)
        {
            BsonThrow.At(_root, _baseOffset, start, BsonErrorKind.TooDeep, $"documents nested deeper than {MaxDepth} levels");
        }
        return new BsonReader(_root, _baseOffset, start + 4, start + length - 1, _depth + 1);
    }
}
