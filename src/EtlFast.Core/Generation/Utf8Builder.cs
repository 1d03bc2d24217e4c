using System.Buffers.Text;

namespace EtlFast.Core.Generation;

/// <summary>Composes a short UTF-8 text (an id, an email, a JSON snippet) in a caller-provided span, without allocating.</summary>
internal ref struct Utf8Builder(Span<byte> buffer)
{
    private readonly Span<byte> _buffer = buffer;
    private int _length;

    public readonly ReadOnlySpan<byte> Written => _buffer[.._length];

    public void Clear() => _length = 0;

    public void Append(ReadOnlySpan<byte> text)
    {
        text.CopyTo(_buffer[_length..]);
        _length += text.Length;
    }

    public void Append(byte c) => _buffer[_length++] = c;

    public void Append(int value)
    {
        Utf8Formatter.TryFormat(value, _buffer[_length..], out int written);
        _length += written;
    }

    /// <summary>Appends ASCII text in lower case.</summary>
    public void AppendLower(ReadOnlySpan<byte> ascii)
    {
        Span<byte> dest = _buffer.Slice(_length, ascii.Length);
        for (int i = 0; i < ascii.Length; i++)
        {
            byte c = ascii[i];
            dest[i] = c is >= (byte)'A' and <= (byte)'Z' ? (byte)(c | 0x20) : c;
        }
        _length += ascii.Length;
    }
}
