using System.Buffers.Binary;

namespace EtlFast.Core.Constraints;

/// <summary>
/// Walks rows of PostgreSQL's binary COPY format (a row: int16 field count, then per field an int32
/// length, -1 for NULL, and the bytes), as our encoder writes them and as <c>COPY ... TO STDOUT
/// (FORMAT BINARY)</c> returns them: the same bytes for the same value, so keys compare as bytes.
/// </summary>
internal ref struct CopyRows
{
    private readonly ReadOnlySpan<byte> _data;
    private int _pos;

    /// <summary>Rows in <paramref name="data"/> from <paramref name="start"/> (no header there).</summary>
    public CopyRows(ReadOnlySpan<byte> data, int start = 0)
    {
        _data = data;
        _pos = start;
    }

    /// <summary>Rows of a whole COPY stream: skips its signature, flags and header extension.</summary>
    public static CopyRows OfStream(ReadOnlySpan<byte> stream)
    {
        const int signature = 11;
        int extension = BinaryPrimitives.ReadInt32BigEndian(stream[(signature + 4)..]);
        return new CopyRows(stream, signature + 8 + extension);
    }

    /// <summary>
    /// The next row, as the start and length (length prefix included) of each field in
    /// <paramref name="fields"/>; false at the end of the data or at the trailer.
    /// </summary>
    public bool Next(Span<(int Start, int Length)> fields, out int count)
    {
        count = 0;
        if (_pos + 2 > _data.Length)
        {
            return false;
        }
        count = BinaryPrimitives.ReadInt16BigEndian(_data[_pos..]);
        if (count < 0)
        {
            return false;
        }
        _pos += 2;
        for (int i = 0; i < count; i++)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(_data[_pos..]);
            int whole = 4 + Math.Max(length, 0);
            if (i < fields.Length)
            {
                fields[i] = (_pos, whole);
            }
            _pos += whole;
        }
        return true;
    }

    /// <summary>The bytes of a field (length prefix included), as <see cref="Next"/> located it.</summary>
    public readonly ReadOnlySpan<byte> Field((int Start, int Length) field) => _data.Slice(field.Start, field.Length);

    /// <summary>A field's value as UTF-8 text (a text column), or "NULL".</summary>
    public readonly string Text((int Start, int Length) field)
    {
        ReadOnlySpan<byte> f = Field(field);
        return BinaryPrimitives.ReadInt32BigEndian(f) < 0 ? "NULL" : System.Text.Encoding.UTF8.GetString(f[4..]);
    }
}
