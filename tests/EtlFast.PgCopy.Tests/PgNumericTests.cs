using System.Buffers.Binary;

namespace EtlFast.PgCopy.Tests;

/// <summary>PgNumeric's bytes and costs on their own (the server-backed proofs are in PgNumericServerTests).</summary>
public sealed class PgNumericTests
{
    private static short[] Words(CopyBuffer buffer)
    {
        ReadOnlySpan<byte> span = buffer.WrittenSpan;
        Assert.Equal(span.Length - 4, BinaryPrimitives.ReadInt32BigEndian(span));
        var words = new short[(span.Length - 4) / 2];
        for (int i = 0; i < words.Length; i++)
        {
            words[i] = BinaryPrimitives.ReadInt16BigEndian(span[(4 + 2 * i)..]);
        }
        return words;
    }

    [Fact]
    public void Digits_are_grouped_in_base_10000_around_the_decimal_point()
    {
        using var buffer = new CopyBuffer();
        buffer.WriteNumeric(false, 12345678, -3); // 12345.678
        // ndigits, weight, sign, dscale, then 1 | 2345 . 6780
        Assert.Equal(new short[] { 3, 1, 0, 3, 1, 2345, 6780 }, Words(buffer));

        buffer.Reset();
        buffer.WriteNumeric(true, 5, -6); // -0.000005: one group 0.0000|05 -> weight -2, digit 500
        Assert.Equal(new short[] { 1, -2, 0x4000, 6, 500 }, Words(buffer));

        buffer.Reset();
        buffer.WriteNumeric(false, 7, 9); // 7000000000: groups 70|0000|0000, trailing zero groups dropped
        Assert.Equal(new short[] { 1, 2, 0, 0, 70 }, Words(buffer));

        buffer.Reset();
        buffer.WriteNumeric(true, 0, -2); // zero: no digits, positive, scale kept
        Assert.Equal(new short[] { 0, 0, 0, 2 }, Words(buffer));
    }

    [Fact]
    public void Specials_use_the_PostgreSQL_14_sign_words()
    {
        using var buffer = new CopyBuffer();
        PgNumeric.WriteNaN(buffer);
        Assert.Equal(new short[] { 0, 0, unchecked((short)0xC000), 0 }, Words(buffer));
        buffer.Reset();
        PgNumeric.WritePositiveInfinity(buffer);
        Assert.Equal(new short[] { 0, 0, unchecked((short)0xD000), 0 }, Words(buffer));
        buffer.Reset();
        PgNumeric.WriteNegativeInfinity(buffer);
        Assert.Equal(new short[] { 0, 0, unchecked((short)0xF000), 0 }, Words(buffer));
    }

    [Fact]
    public void The_largest_value_fits_MaxFieldLength()
    {
        using var buffer = new CopyBuffer();
        buffer.WriteNumeric(true, UInt128.MaxValue, -1); // 39 digits, point 1 place in: aligned by shifting 3, so 42 digits, 11 groups
        Assert.Equal(PgNumeric.MaxFieldLength, buffer.Length);
        Assert.Throws<ArgumentException>(() => PgNumeric.EncodeField(new byte[PgNumeric.MaxFieldLength - 1], false, 1, 0));
    }

    [Fact]
    public void Writing_allocates_nothing()
    {
        using var buffer = new CopyBuffer(1 << 20);
        UInt128 big = UInt128.MaxValue / 3;
        for (int i = 0; i < 100; i++)
        {
            buffer.WriteNumeric(i % 2 == 0, big, -i);
            buffer.WriteNumeric(i * 0.1);
        }
        buffer.Reset();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            buffer.WriteNumeric(i % 2 == 0, big - (UInt128)i, -(i % 40));
            buffer.WriteNumeric(i * 0.1 + 1e-300 * i);
            PgNumeric.WriteNaN(buffer);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }
}
