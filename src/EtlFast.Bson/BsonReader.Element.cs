namespace EtlFast.Bson;

public ref partial struct BsonReader
{
    /// <summary>
    /// A reader whose next <see cref="Read"/> yields exactly the element encoded at
    /// [<paramref name="elementStart"/>, <paramref name="elementEnd"/>) of <paramref name="root"/>, an element
    /// seen before by a reader over the same root (the engine keeps such positions to come back to a value).
    /// <paramref name="depth"/> is the depth of the document that holds the element.
    /// </summary>
    public static BsonReader OverElement(ReadOnlySpan<byte> root, long baseOffset, int elementStart, int elementEnd, int depth)
    {
        if ((uint)elementStart > (uint)elementEnd || (uint)elementEnd > (uint)root.Length || depth < 1 || depth > MaxDepth)
        {
            throw new ArgumentOutOfRangeException(nameof(elementStart), "element bounds lie outside the document");
        }
        return new BsonReader(root, baseOffset, elementStart, elementEnd, depth);
    }
}
