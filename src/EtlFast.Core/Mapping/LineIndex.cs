namespace EtlFast.Core.Mapping;

/// <summary>Byte offset to 1-based line number, from the offsets where lines start.</summary>
internal sealed class LineIndex
{
    private readonly int[] _starts;

    public LineIndex(ReadOnlySpan<byte> text)
    {
        var starts = new List<int> { 0 };
        int pos = 0;
        int nl;
        while ((nl = text[pos..].IndexOf((byte)'\n')) >= 0)
        {
            pos += nl + 1;
            starts.Add(pos);
        }
        _starts = [.. starts];
    }

    public int LineOf(long offset)
    {
        // The last line start at or before offset.
        int i = Array.BinarySearch(_starts, (int)Math.Min(offset, int.MaxValue));
        return i >= 0 ? i + 1 : ~i;
    }
}
