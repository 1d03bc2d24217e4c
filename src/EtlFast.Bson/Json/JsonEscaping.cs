using System.Buffers;

namespace EtlFast.Bson.Json;

/// <summary>Kept outside the generic sink: a static of a generic type shared over reference types costs a lookup per access.</summary>
internal static class JsonEscaping
{
    /// <summary>Bytes that RFC 8259 requires escaped inside a string: quotation mark, reverse solidus, U+0000..U+001F.</summary>
    public static readonly SearchValues<byte> MustEscape = SearchValues.Create(
        "\0\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000B\f\r\u000E\u000F\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F\"\\"u8);
}
