using System.Runtime.InteropServices;
using EtlFast.Bson;

namespace EtlFast.Core.Engine;

/// <summary>
/// Where a captured value sits in the document being encoded. Valid only while <see cref="Gen"/> equals
/// its context's current generation, so slots never need clearing between rows.
/// </summary>
[StructLayout(LayoutKind.Auto)]
internal struct Slot
{
    public int Gen;
    public BsonType Type;
    /// <summary>Depth of the document holding the element (for re-reading it).</summary>
    public byte Depth;
    public int ElementStart;
    public int ValueStart;
    public int ValueLength;

    public readonly int ElementEnd => ValueStart + ValueLength;
}
