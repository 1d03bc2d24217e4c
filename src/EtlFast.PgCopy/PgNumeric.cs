using System.Buffers.Binary;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace EtlFast.PgCopy;

/// <summary>
/// PostgreSQL <c>numeric</c> in binary form (numeric_send/numeric_recv): int16 ndigits, int16 weight,
/// uint16 sign, uint16 dscale, then ndigits base-10000 digits, most significant first. The value is
/// sum(digit[i] * 10000^(weight - i)); dscale is the number of decimal places shown.
/// Values are written exactly: a coefficient and a power of ten go in, the same decimal comes out.
/// </summary>
public static class PgNumeric
{
    private const ushort SignPositive = 0x0000;
    private const ushort SignNegative = 0x4000;
    private const ushort SignNaN = 0xC000;
    private const ushort SignPositiveInfinity = 0xD000; // PostgreSQL 14+
    private const ushort SignNegativeInfinity = 0xF000; // PostgreSQL 14+

    /// <summary>39 decimal digits (UInt128.MaxValue) shifted by up to 3 places: 42 digits, 11 groups.</summary>
    private const int MaxGroups = 11;

    /// <summary>Bytes a numeric field takes at most, length word included.</summary>
    public const int MaxFieldLength = 4 + 8 + 2 * MaxGroups;

    /// <summary>Smallest exponent: dscale = -exponent must fit the 14 bits PostgreSQL keeps for it (16383).</summary>
    public const int MinExponent = -0x3FFF;

    /// <summary>
    /// Largest exponent that keeps any coefficient's weight within int16 (PostgreSQL's limit of
    /// 131072 digits before the decimal point): 4 * 32768 digits minus the 39 a coefficient may have.
    /// </summary>
    public const int MaxExponent = 4 * 32768 - 39;

    /// <summary>Writes (-1)^negative * coefficient * 10^exponent, exactly, with dscale max(0, -exponent).</summary>
    /// <exception cref="ArgumentOutOfRangeException">exponent outside <see cref="MinExponent"/>..<see cref="MaxExponent"/>.</exception>
    public static void Write(CopyBuffer buffer, bool negative, UInt128 coefficient, int exponent)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        int written = EncodeField(buffer.GetSpan(MaxFieldLength), negative, coefficient, exponent);
        buffer.Advance(written);
    }

    /// <summary>
    /// Writes a double as the exact decimal of its shortest round-trip form ("R"), so 0.1 becomes
    /// 0.1, not 0.1000000000000000055511151231257827. NaN and the infinities become numeric's own;
    /// -0 becomes 0 (numeric has no negative zero).
    /// </summary>
    public static void Write(CopyBuffer buffer, double value)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        int written = EncodeField(buffer.GetSpan(MaxFieldLength), value);
        buffer.Advance(written);
    }

    public static void WriteNaN(CopyBuffer buffer) => WriteSpecial(buffer, SignNaN);

    /// <summary>'Infinity'; PostgreSQL 13 and older reject it.</summary>
    public static void WritePositiveInfinity(CopyBuffer buffer) => WriteSpecial(buffer, SignPositiveInfinity);

    /// <summary>'-Infinity'; PostgreSQL 13 and older reject it.</summary>
    public static void WriteNegativeInfinity(CopyBuffer buffer) => WriteSpecial(buffer, SignNegativeInfinity);

    /// <summary>
    /// Encodes a whole field (length word and value) into <paramref name="destination"/>, which must
    /// hold <see cref="MaxFieldLength"/> bytes; returns the bytes written.
    /// </summary>
    public static int EncodeField(Span<byte> destination, bool negative, UInt128 coefficient, int exponent)
    {
        if (destination.Length < MaxFieldLength)
        {
            ThrowDestinationTooSmall();
        }
        if (exponent < MinExponent || exponent > MaxExponent)
        {
            ThrowExponentOutOfRange(exponent);
        }

        // Base-10000 groups of the coefficient, least significant first.
        Span<ushort> groups = stackalloc ushort[MaxGroups];
        int count = 0;
        UInt128 high = coefficient;
        while (high > ulong.MaxValue)
        {
            // At most twice: UInt128.MaxValue / 10^32 < 10^7. Each step yields exactly 4 groups.
            (high, UInt128 low128) = UInt128.DivRem(high, 10_000_000_000_000_000UL);
            ulong low = (ulong)low128;
            for (int i = 0; i < 4; i++)
            {
                groups[count++] = (ushort)(low % 10_000);
                low /= 10_000;
            }
        }
        for (ulong rest = (ulong)high; rest != 0; rest /= 10_000)
        {
            groups[count++] = (ushort)(rest % 10_000);
        }

        // Align the decimal point to a group boundary: exponent = 4 * groupExponent + shift, shift 0..3
        // (arithmetic shift and mask are floor division and modulo for negative exponents too).
        int groupExponent = exponent >> 2;
        int shift = exponent & 3;
        if (shift != 0 && count != 0)
        {
            int multiplier = shift == 1 ? 10 : shift == 2 ? 100 : 1000;
            int carry = 0;
            for (int i = 0; i < count; i++)
            {
                int t = groups[i] * multiplier + carry;
                groups[i] = (ushort)(t % 10_000);
                carry = t / 10_000;
            }
            if (carry != 0)
            {
                groups[count++] = (ushort)carry;
            }
        }

        // PostgreSQL stores no leading or trailing zero groups (numeric_recv would strip them too).
        int lowest = 0;
        while (lowest < count && groups[lowest] == 0)
        {
            lowest++;
        }
        while (count > lowest && groups[count - 1] == 0)
        {
            count--;
        }
        int ndigits = count - lowest;
        int weight = ndigits == 0 ? 0 : groupExponent + lowest + ndigits - 1;
        ushort sign = negative && ndigits != 0 ? SignNegative : SignPositive;
        int dscale = exponent < 0 ? -exponent : 0;

        BinaryPrimitives.WriteInt32BigEndian(destination, 8 + 2 * ndigits);
        BinaryPrimitives.WriteInt16BigEndian(destination.Slice(4), (short)ndigits);
        BinaryPrimitives.WriteInt16BigEndian(destination.Slice(6), (short)weight);
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(8), sign);
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(10), (ushort)dscale);
        int at = 12;
        for (int i = count - 1; i >= lowest; i--)
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(at), groups[i]);
            at += 2;
        }
        return at;
    }

    /// <summary>The double counterpart of <see cref="EncodeField(Span{byte}, bool, UInt128, int)"/>.</summary>
    public static int EncodeField(Span<byte> destination, double value)
    {
        if (destination.Length < MaxFieldLength)
        {
            ThrowDestinationTooSmall();
        }
        if (!double.IsFinite(value))
        {
            ushort special = double.IsNaN(value) ? SignNaN
                : value > 0 ? SignPositiveInfinity : SignNegativeInfinity;
            return EncodeSpecial(destination, special);
        }

        // "R" on .NET Core 3.0+ is the shortest string that parses back to the same double:
        // "-1.7976931348623157E+308" is the longest, 24 chars.
        Span<char> text = stackalloc char[32];
        if (!value.TryFormat(text, out int length, "R", CultureInfo.InvariantCulture))
        {
            ThrowUnexpectedDoubleFormat();
        }
        text = text.Slice(0, length);

        bool negative = false;
        ulong coefficient = 0;
        int exponent = 0;
        bool inFraction = false;
        int i = 0;
        if (text[0] == '-')
        {
            negative = true;
            i++;
        }
        for (; i < text.Length; i++)
        {
            char c = text[i];
            if ((uint)(c - '0') <= 9)
            {
                coefficient = coefficient * 10 + (uint)(c - '0'); // at most 17 significant digits
                if (inFraction)
                {
                    exponent--;
                }
            }
            else if (c == '.')
            {
                inFraction = true;
            }
            else if (c == 'E')
            {
                exponent += int.Parse(text.Slice(i + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                break;
            }
            else
            {
                ThrowUnexpectedDoubleFormat();
            }
        }
        return EncodeField(destination, negative, coefficient, exponent);
    }

    private static void WriteSpecial(CopyBuffer buffer, ushort sign)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        int written = EncodeSpecial(buffer.GetSpan(12), sign);
        buffer.Advance(written);
    }

    private static int EncodeSpecial(Span<byte> destination, ushort sign)
    {
        BinaryPrimitives.WriteInt32BigEndian(destination, 8);
        BinaryPrimitives.WriteInt16BigEndian(destination.Slice(4), 0);
        BinaryPrimitives.WriteInt16BigEndian(destination.Slice(6), 0);
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(8), sign);
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(10), 0);
        return 12;
    }

    [DoesNotReturn, StackTraceHidden]
    private static void ThrowExponentOutOfRange(int exponent) =>
        throw new ArgumentOutOfRangeException(nameof(exponent), exponent,
            $"a numeric exponent must lie in {MinExponent}..{MaxExponent}: PostgreSQL keeps at most 16383 digits after the decimal point and 131072 before it");

    [DoesNotReturn, StackTraceHidden]
    private static void ThrowDestinationTooSmall() =>
        throw new ArgumentException($"the destination must hold {MaxFieldLength} bytes", "destination");

    [DoesNotReturn, StackTraceHidden]
    private static void ThrowUnexpectedDoubleFormat() =>
        throw new InvalidOperationException("double.TryFormat(\"R\") produced an unexpected form");
}
