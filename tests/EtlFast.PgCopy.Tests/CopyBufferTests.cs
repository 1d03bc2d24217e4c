namespace EtlFast.PgCopy.Tests;

/// <summary>CopyBuffer's bytes and bookkeeping on their own.</summary>
public sealed class CopyBufferTests
{
    [Fact]
    public void Header_and_trailer_are_the_documented_bytes()
    {
        using var buffer = new CopyBuffer();
        buffer.WriteHeader();
        buffer.WriteTrailer();
        byte[] expected = [.. "PGCOPY\n"u8, 0xFF, (byte)'\r', (byte)'\n', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF];
        Assert.Equal(expected, buffer.WrittenSpan.ToArray());
        Assert.Equal(CopyBuffer.HeaderLength + 2, buffer.Length);
    }

    [Fact]
    public void Fields_are_length_prefixed_big_endian()
    {
        using var buffer = new CopyBuffer();
        buffer.StartRow(3);
        buffer.WriteInt32(0x01020304);
        buffer.WriteNull();
        buffer.WriteJsonb("{}"u8);
        byte[] expected = [0, 3, 0, 0, 0, 4, 1, 2, 3, 4, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 3, 1, (byte)'{', (byte)'}'];
        Assert.Equal(expected, buffer.WrittenSpan.ToArray());
        Assert.Equal(1, buffer.Rows);
    }

    [Fact]
    public void Truncate_refuses_a_mark_past_what_was_written()
    {
        using var buffer = new CopyBuffer();
        buffer.WriteHeader();
        buffer.StartRow(1);
        buffer.WriteInt32(1);
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.Truncate(buffer.Length + 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.Truncate(buffer.Length, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.Truncate(-1, 0));
        buffer.Truncate(CopyBuffer.HeaderLength, 0);
        Assert.Equal(CopyBuffer.HeaderLength, buffer.Length);
        Assert.Equal(0, buffer.Rows);
    }

    [Fact]
    public void Growth_keeps_earlier_bytes()
    {
        using var buffer = new CopyBuffer(256);
        for (int i = 0; i < 100_000; i++)
        {
            buffer.WriteInt32(i);
        }
        ReadOnlySpan<byte> span = buffer.WrittenSpan;
        Assert.Equal(800_000, span.Length);
        for (int i = 0; i < 100_000; i += 997)
        {
            Assert.Equal(i, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(span[(i * 8 + 4)..]));
        }
    }

    [Fact]
    public void A_disposed_buffer_does_not_hand_the_empty_array_to_the_pool()
    {
        var buffer = new CopyBuffer();
        buffer.Dispose();
        buffer.Dispose();
        buffer.WriteInt64(5); // grows from the empty array; must not return [] to ArrayPool
        Assert.Equal(12, buffer.Length);
        buffer.Dispose();
    }
}
