using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace EtlFast.Core.Mapping;

/// <summary>Cold-path construction of <see cref="MappingException"/>.</summary>
internal static class MappingThrow
{
    [DoesNotReturn]
    [StackTraceHidden]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void At(string fileName, int line, string reason) => throw new MappingException(fileName, line, reason);
}
