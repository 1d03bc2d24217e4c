using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace EtlFast.Bson;

/// <summary>Cold-path exceptions of <see cref="BsonWriter"/>: misuse of the API, never bad data.</summary>
internal static class BsonWriterThrow
{
    [DoesNotReturn]
    [StackTraceHidden]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void State(string message) => throw new InvalidOperationException(message);

    [DoesNotReturn]
    [StackTraceHidden]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Argument(string parameter, string message) => throw new ArgumentException(message, parameter);

    [DoesNotReturn]
    [StackTraceHidden]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void BadNamedElement(int depth, bool namePending)
    {
        if (depth == 0)
        {
            State("an element needs an open document: call WriteStartDocument first");
        }
        if (namePending)
        {
            State("a name was written without its value");
        }
        Argument("name", "a field name cannot hold a 0x00 byte");
    }
}
