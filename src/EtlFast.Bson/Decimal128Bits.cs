using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text;

namespace EtlFast.Bson;

/// <summary>
/// The raw 128 bits of a BSON decimal128 (IEEE 754-2008 decimal, binary integer decimal encoding),
/// decoded and formatted without allocation. Formatting follows the BSON decimal128 specification's
/// to-string algorithm exactly, so the text is what MongoDB tools print and what PostgreSQL
/// <c>numeric</c> and <c>jsonb</c> parse back to the same value.
/// </summary>
public readonly record struct Decimal128Bits(ulong Low, ulong High)
{
    /// <summary>Longest text <see cref="FormatUtf8"/> can produce ("-0.00000" + 34 digits, or "-d." + 33 digits + "E+6144").</summary>
    public const int MaxUtf8Length = 42;

    /// <summary>Exponent bias of the 14-bit exponent field.</summary>
    private const int ExponentBias = 6176;

    private const ulong SignBit = 0x8000_0000_0000_0000;
    // Combination field (bits 62..58): 11111 is NaN, 11110 infinity, 11xxx the second form.
    private const ulong NaNMask = 0x7C00_0000_0000_0000;
    private const ulong InfinityBits = 0x7800_0000_0000_0000;
    private const ulong SecondFormBits = 0x6000_0000_0000_0000;
    private const ulong FirstFormCoefficientHighMask = 0x0001_FFFF_FFFF_FFFF; // 49 bits: 113-bit coefficient with Low

    private const ulong TenPow19 = 10_000_000_000_000_000_000;

    /// <summary>Largest canonical coefficient, 10^34 - 1; larger ones are non-canonical and read as zero.</summary>
    private static UInt128 MaxCoefficient => new(0x0001_ED09_BEAD_87C0, 0x378D_8E63_FFFF_FFFF);

    /// <summary>True for quiet and signalling NaN, whatever the sign.</summary>
    public bool IsNaN => (High & NaNMask) == NaNMask;

    /// <summary>True for positive and negative infinity.</summary>
    public bool IsInfinity => (High & NaNMask) == InfinityBits;

    /// <summary>The sign bit (also set for "-0" and may be set on NaN).</summary>
    public bool IsNegative => (High & SignBit) != 0;

    /// <summary>
    /// Splits a finite value into sign, coefficient and unbiased exponent (value = (-1)^negative x coefficient x 10^exponent).
    /// Both combination-field forms are decoded; a coefficient above 10^34 - 1 (always so in the second form)
    /// is non-canonical and reads as zero, as the BSON specification says. False for NaN and infinity.
    /// </summary>
    public bool TryGetFinite(out bool negative, out UInt128 coefficient, out int exponent)
    {
        ulong high = High;
        negative = (high & SignBit) != 0;
        if ((high & InfinityBits) == InfinityBits)
        {
            coefficient = UInt128.Zero;
            exponent = 0;
            return false;
        }
        if ((high & SecondFormBits) == SecondFormBits)
        {
            // Second form: exponent in bits 60..47, coefficient is 0b100 followed by 111 bits, so >= 2^113 > 10^34 - 1.
            exponent = (int)((high >> 47) & 0x3FFF) - ExponentBias;
            coefficient = UInt128.Zero;
            return true;
        }
        exponent = (int)((high >> 49) & 0x3FFF) - ExponentBias;
        var c = new UInt128(high & FirstFormCoefficientHighMask, Low);
        coefficient = c > MaxCoefficient ? UInt128.Zero : c;
        return true;
    }

    /// <summary>
    /// Writes the BSON specification's string form ("1.50", "-0", "0E+3", "1.23E-7", "NaN", "-Infinity") as ASCII.
    /// Returns the number of bytes written.
    /// </summary>
    /// <exception cref="ArgumentException">The destination is shorter than the text.</exception>
    public int FormatUtf8(Span<byte> destination)
    {
        if (!TryFormatUtf8(destination, out int written))
        {
            ThrowDestinationTooSmall();
        }
        return written;
    }

    /// <summary>As <see cref="FormatUtf8"/>, but returns false (writing nothing) when the destination is too short.</summary>
    public bool TryFormatUtf8(Span<byte> destination, out int bytesWritten)
    {
        if (destination.Length >= MaxUtf8Length)
        {
            bytesWritten = FormatCore(destination);
            return true;
        }
        Span<byte> scratch = stackalloc byte[MaxUtf8Length];
        int n = FormatCore(scratch);
        if (n > destination.Length)
        {
            bytesWritten = 0;
            return false;
        }
        scratch.Slice(0, n).CopyTo(destination);
        bytesWritten = n;
        return true;
    }

    /// <summary>The BSON specification's string form (allocates the string; use <see cref="FormatUtf8"/> on hot paths).</summary>
    public override string ToString()
    {
        Span<byte> scratch = stackalloc byte[MaxUtf8Length];
        int n = FormatCore(scratch);
        return Encoding.ASCII.GetString(scratch.Slice(0, n));
    }

    /// <summary>Formats into a destination of at least <see cref="MaxUtf8Length"/> bytes.</summary>
    private int FormatCore(Span<byte> d)
    {
        Debug.Assert(d.Length >= MaxUtf8Length);
        if (IsNaN)
        {
            "NaN"u8.CopyTo(d);
            return 3;
        }
        if (IsInfinity)
        {
            if (IsNegative)
            {
                "-Infinity"u8.CopyTo(d);
                return 9;
            }
            "Infinity"u8.CopyTo(d);
            return 8;
        }

        TryGetFinite(out bool negative, out UInt128 coefficient, out int exponent);
        Span<byte> digits = stackalloc byte[34];
        int count = WriteDigits(coefficient, digits);
        digits = digits.Slice(0, count);
        int adjusted = exponent + count - 1;

        int pos = 0;
        if (negative)
        {
            d[pos++] = (byte)'-';
        }
        if (exponent <= 0 && adjusted >= -6)
        {
            // Regular notation.
            if (exponent == 0)
            {
                digits.CopyTo(d.Slice(pos));
                return pos + count;
            }
            int fraction = -exponent;
            if (count > fraction)
            {
                int whole = count - fraction;
                digits.Slice(0, whole).CopyTo(d.Slice(pos));
                pos += whole;
                d[pos++] = (byte)'.';
                digits.Slice(whole).CopyTo(d.Slice(pos));
                return pos + fraction;
            }
            d[pos++] = (byte)'0';
            d[pos++] = (byte)'.';
            int zeros = fraction - count;
            d.Slice(pos, zeros).Fill((byte)'0');
            pos += zeros;
            digits.CopyTo(d.Slice(pos));
            return pos + count;
        }

        // Scientific notation: one digit, then the rest after a point, then the adjusted exponent with its sign.
        d[pos++] = digits[0];
        if (count > 1)
        {
            d[pos++] = (byte)'.';
            digits.Slice(1).CopyTo(d.Slice(pos));
            pos += count - 1;
        }
        d[pos++] = (byte)'E';
        d[pos++] = adjusted < 0 ? (byte)'-' : (byte)'+';
        bool ok = Utf8Formatter.TryFormat((uint)Math.Abs(adjusted), d.Slice(pos), out int expDigits);
        Debug.Assert(ok);
        return pos + expDigits;
    }

    /// <summary>Decimal digits of a coefficient below 10^34, without leading zeros ("0" for zero).</summary>
    private static int WriteDigits(UInt128 coefficient, Span<byte> digits)
    {
        bool ok;
        int written;
        if (coefficient <= ulong.MaxValue)
        {
            ok = Utf8Formatter.TryFormat((ulong)coefficient, digits, out written);
            Debug.Assert(ok);
            return written;
        }
        // One 128-bit division splits the coefficient into a head below 10^15 and a 19-digit tail.
        (UInt128 head, UInt128 tail) = UInt128.DivRem(coefficient, TenPow19);
        ok = Utf8Formatter.TryFormat((ulong)head, digits, out written);
        Debug.Assert(ok);
        ok = Utf8Formatter.TryFormat((ulong)tail, digits.Slice(written), out int tailWritten, new StandardFormat('D', 19));
        Debug.Assert(ok && tailWritten == 19);
        return written + 19;
    }

    [DoesNotReturn]
    [StackTraceHidden]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowDestinationTooSmall() =>
        throw new ArgumentException($"destination is too short for the decimal128 text; give it at least {MaxUtf8Length} bytes", "destination");
}
