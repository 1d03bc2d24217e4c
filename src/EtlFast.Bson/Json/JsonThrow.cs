using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace EtlFast.Bson.Json;

/// <summary>Cold-path exceptions of the JSON writer: misuse by the caller, never malformed BSON (the reader reports that).</summary>
internal static class JsonThrow
{
    [DoesNotReturn]
    [StackTraceHidden]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void NotOnElement() =>
        throw new InvalidOperationException("the BSON reader is not on an element; call Read() and check it returned true before writing its value");

    [DoesNotReturn]
    [StackTraceHidden]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void UnexpectedType(BsonType type) =>
        throw new InvalidOperationException($"cannot write BSON element type 0x{(byte)type:x2} as JSON");

    [DoesNotReturn]
    [StackTraceHidden]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void WriterTooSmall(int asked, int given) =>
        throw new InvalidOperationException($"the output IBufferWriter returned a {given}-byte span when asked for at least {asked}; GetSpan(sizeHint) must return at least sizeHint bytes");
}
