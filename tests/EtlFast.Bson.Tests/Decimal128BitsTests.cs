using System.Globalization;
using System.Text;
using CsCheck;
using MongoDecimal = MongoDB.Bson.Decimal128;

namespace EtlFast.Bson.Tests;

/// <summary>
/// Decimal128Bits against the BSON specification's examples and against MongoDB.Bson's Decimal128,
/// which implements the same to-string algorithm for canonical values.
/// </summary>
public sealed class Decimal128BitsTests
{
    private static readonly UInt128 MaxCoefficient = UInt128.Parse("9999999999999999999999999999999999", CultureInfo.InvariantCulture);

    [Theory]
    // Specials; the sign of NaN is not printed, signalling NaN prints as NaN.
    [InlineData(0x7C00_0000_0000_0000UL, 0UL, "NaN")]
    [InlineData(0xFC00_0000_0000_0000UL, 0UL, "NaN")]
    [InlineData(0x7E00_0000_0000_0000UL, 0UL, "NaN")]
    [InlineData(0xFE00_0000_0000_0000UL, 12UL, "NaN")]
    [InlineData(0x7800_0000_0000_0000UL, 0UL, "Infinity")]
    [InlineData(0xF800_0000_0000_0000UL, 0UL, "-Infinity")]
    [InlineData(0x7A00_0000_0000_0000UL, 5UL, "Infinity")] // payload bits under an infinity are ignored
    // Zeros keep their exponent and sign.
    [InlineData(0x3040_0000_0000_0000UL, 0UL, "0")]
    [InlineData(0xB040_0000_0000_0000UL, 0UL, "-0")]
    [InlineData(0x3046_0000_0000_0000UL, 0UL, "0E+3")]
    [InlineData(0x303A_0000_0000_0000UL, 0UL, "0.000")]
    [InlineData(0x3032_0000_0000_0000UL, 0UL, "0E-7")] // adjusted exponent -7 < -6: scientific even for zero
    [InlineData(0x0000_0000_0000_0000UL, 0UL, "0E-6176")]
    [InlineData(0x5FFE_0000_0000_0000UL, 0UL, "0E+6111")]
    // Regular notation.
    [InlineData(0x3040_0000_0000_0000UL, 1UL, "1")]
    [InlineData(0xB040_0000_0000_0000UL, 1UL, "-1")]
    [InlineData(0x303C_0000_0000_0000UL, 150UL, "1.50")]
    [InlineData(0x303C_0000_0000_0000UL, 1UL, "0.01")]
    [InlineData(0x3034_0000_0000_0000UL, 1UL, "0.000001")] // adjusted -6: still regular
    [InlineData(0x3040_0000_0000_0000UL, 0xFFFF_FFFF_FFFF_FFFFUL, "18446744073709551615")]
    // Scientific notation: positive exponent, or adjusted exponent below -6.
    [InlineData(0x3032_0000_0000_0000UL, 1UL, "1E-7")]
    [InlineData(0x3042_0000_0000_0000UL, 1UL, "1E+1")]
    [InlineData(0x3046_0000_0000_0000UL, 123UL, "1.23E+5")]
    [InlineData(0x3032_0000_0000_0000UL, 12UL, "0.0000012")]
    [InlineData(0x302C_0000_0000_0000UL, 12UL, "1.2E-9")]
    [InlineData(0x0000_0000_0000_0000UL, 1UL, "1E-6176")]
    [InlineData(0x8000_0000_0000_0000UL, 1UL, "-1E-6176")]
    public void Formats_hand_picked_bit_patterns(ulong high, ulong low, string expected)
    {
        var value = new Decimal128Bits(low, high);
        Assert.Equal(expected, value.ToString());
        Assert.Equal(expected, FormatViaUtf8(value));
        Assert.Equal(expected, MongoDecimal.FromIEEEBits(high, low).ToString());
    }

    [Theory]
    [InlineData("9999999999999999999999999999999999")]
    [InlineData("-9999999999999999999999999999999999")]
    [InlineData("9.999999999999999999999999999999999E+6144")]
    [InlineData("-9.999999999999999999999999999999999E+6144")]
    [InlineData("1.000000000000000000000000000000000E+6144")]
    [InlineData("1.234567890123456789012345678901234E-7")]
    [InlineData("-0.000001234567890123456789012345678901234")] // 42 bytes: the longest regular form
    [InlineData("-1.234567890123456789012345678901234E-6143")] // 42 bytes: the longest scientific form
    [InlineData("12345678901234567890123456789012.34")]
    [InlineData("18446744073709551616")] // 2^64: first value that needs the 128-bit split
    [InlineData("10000000000000000000")] // 10^19: split with a zero tail
    [InlineData("1000000000000000000000000000000000")]
    [InlineData("0.1")]
    [InlineData("-0.00")]
    [InlineData("1.0E-10")]
    [InlineData("40.7128")]
    [InlineData("-74.006")]
    public void Canonical_strings_round_trip_through_the_bits(string text)
    {
        MongoDecimal parsed = MongoDecimal.Parse(text);
        var value = new Decimal128Bits(parsed.GetIEEELowBits(), parsed.GetIEEEHighBits());
        Assert.Equal(text, value.ToString());
        Assert.Equal(text, FormatViaUtf8(value));
        Assert.True(Encoding.ASCII.GetByteCount(text) <= Decimal128Bits.MaxUtf8Length);
    }

    [Fact]
    public void Second_form_reads_as_zero_with_its_exponent()
    {
        // Combination bits 11 then a 14-bit exponent in bits 60..47; the implied coefficient 0b100... exceeds 10^34 - 1.
        AssertFinite(new Decimal128Bits(0, 0x6000_0000_0000_0000), false, 0, -6176, "0E-6176");
        AssertFinite(new Decimal128Bits(1, 0x7000_0000_0000_0000), false, 0, 8192 - 6176, "0E+2016");
        AssertFinite(new Decimal128Bits(ulong.MaxValue, 0xE000_0000_0000_0000), true, 0, -6176, "-0E-6176");
        AssertFinite(new Decimal128Bits(0, 0x6000_0000_0000_0000 | (6176UL << 47)), false, 0, 0, "0");
        // Exponent -3 in the second form: the spec's algorithm prints a zero coefficient in regular notation.
        // (MongoDB.Bson prints "0E-3" here; its first-form zero with the same exponent prints "0.000".)
        AssertFinite(new Decimal128Bits(0, 0x6000_0000_0000_0000 | (6173UL << 47)), false, 0, -3, "0.000");
    }

    [Fact]
    public void Non_canonical_first_form_coefficient_reads_as_zero()
    {
        // 10^34 has a 113-bit encoding that fits the first form but exceeds the largest canonical coefficient.
        UInt128 tenPow34 = MaxCoefficient + 1;
        ulong high = (ulong)(tenPow34 >> 64);
        ulong low = (ulong)tenPow34;
        AssertFinite(new Decimal128Bits(low, 0x3040_0000_0000_0000 | high), false, 0, 0, "0");
        AssertFinite(new Decimal128Bits(low, 0xB03C_0000_0000_0000 | high), true, 0, -2, "-0.00");
        AssertFinite(new Decimal128Bits(ulong.MaxValue, 0x3041_FFFF_FFFF_FFFF), false, 0, 0, "0");
        // One below is canonical and keeps all 34 digits.
        AssertFinite(new Decimal128Bits(low - 1, 0x3040_0000_0000_0000 | high), false, MaxCoefficient, 0, "9999999999999999999999999999999999");
    }

    [Fact]
    public void Specials_are_not_finite()
    {
        Assert.False(new Decimal128Bits(0, 0x7C00_0000_0000_0000).TryGetFinite(out _, out _, out _));
        Assert.False(new Decimal128Bits(0, 0xF800_0000_0000_0000).TryGetFinite(out bool negative, out _, out _));
        Assert.True(negative);
        Assert.True(new Decimal128Bits(0, 0xFE00_0000_0000_0000).IsNaN);
        Assert.True(new Decimal128Bits(0, 0xFE00_0000_0000_0000).IsNegative);
        Assert.False(new Decimal128Bits(0, 0xFE00_0000_0000_0000).IsInfinity);
        Assert.True(new Decimal128Bits(0, 0xF800_0000_0000_0000).IsInfinity);
        Assert.False(new Decimal128Bits(0, 0xF800_0000_0000_0000).IsNaN);
        Assert.False(new Decimal128Bits(0, 0x7000_0000_0000_0000).IsInfinity); // second form, not special
    }

    [Fact]
    public void FormatUtf8_rejects_a_short_destination_and_TryFormat_writes_nothing()
    {
        var value = new Decimal128Bits(150, 0x303C_0000_0000_0000); // "1.50"
        Span<byte> small = stackalloc byte[3];
        Assert.False(value.TryFormatUtf8(small, out int written));
        Assert.Equal(0, written);
        Assert.Equal(0, small[0]);
        Assert.Throws<ArgumentException>(() => value.FormatUtf8(new byte[3]));

        Span<byte> exact = stackalloc byte[4];
        Assert.True(value.TryFormatUtf8(exact, out written));
        Assert.Equal("1.50", Encoding.ASCII.GetString(exact.Slice(0, written)));
    }

    [Fact]
    public void Formatting_does_not_allocate()
    {
        var values = new[]
        {
            new Decimal128Bits(150, 0x303C_0000_0000_0000),
            new Decimal128Bits(0x378D_8E63_FFFF_FFFF, 0x3041_ED09_BEAD_87C0),
            new Decimal128Bits(0, 0x7C00_0000_0000_0000),
            new Decimal128Bits(1, 0x0000_0000_0000_0000),
        };
        var buffer = new byte[Decimal128Bits.MaxUtf8Length];
        int total = 0;
        foreach (Decimal128Bits v in values)
        {
            total += v.FormatUtf8(buffer); // warm up (JIT, statics)
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            total += values[i & 3].FormatUtf8(buffer);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.True(total > 0);
    }

    /// <summary>Any 128 bits: flags, parts and text agree with MongoDB.Bson once non-canonical encodings are read as zero.</summary>
    [Fact]
    public void Random_bit_patterns_agree_with_MongoDB_Bson()
    {
        Gen.Select(Gen.ULong, HighBits).Sample((low, high) => AgreesWithDriver(new Decimal128Bits(low, high)), iter: 20_000);
    }

    /// <summary>Decimals of every size and scale, as MongoDB.Bson parses them from text.</summary>
    [Fact]
    public void Random_parsed_decimals_agree_with_MongoDB_Bson()
    {
        Gen<string> text =
            from negative in Gen.Bool
            from digits in Gen.Int[1, 34]
            from coefficient in Gen.Char['0', '9'].Array[digits]
            from exponent in Gen.Frequency((4, Gen.Int[-45, 10]), (1, Gen.Int[-6176, 6111 - 33]))
            select (negative ? "-" : "") + new string(coefficient) + "E" + exponent.ToString(CultureInfo.InvariantCulture);
        text.Sample(s =>
        {
            MongoDecimal parsed = MongoDecimal.Parse(s);
            var value = new Decimal128Bits(parsed.GetIEEELowBits(), parsed.GetIEEEHighBits());
            AgreesWithDriver(value);
            // And the text parses back to the same number.
            Assert.Equal(parsed, MongoDecimal.Parse(value.ToString()));
        }, iter: 20_000);
    }

    /// <summary>High halves weighted toward the interesting regions: specials, the second form, exponents near zero.</summary>
    private static readonly Gen<ulong> HighBits = Gen.Frequency(
        (3, Gen.ULong),
        (3, from sign in Gen.Bool
            from exponent in Gen.Int[-50, 20]
            from coefficientHigh in Gen.Frequency((2, Gen.Const(0UL)), (1, Gen.ULong[0, 0x0001_FFFF_FFFF_FFFF]))
            select (sign ? 0x8000_0000_0000_0000 : 0) | ((ulong)(exponent + 6176) << 49) | coefficientHigh),
        (1, from top in Gen.Int[0b11000, 0b11111]
            from rest in Gen.ULong
            select (rest & 0x8000_0000_0000_0000) | ((ulong)top << 58) | (rest & 0x03FF_FFFF_FFFF_FFFF)));

    private static void AgreesWithDriver(Decimal128Bits value)
    {
        MongoDecimal driver = MongoDecimal.FromIEEEBits(value.High, value.Low);
        Assert.Equal(MongoDecimal.IsNaN(driver), value.IsNaN);
        Assert.Equal(MongoDecimal.IsInfinity(driver), value.IsInfinity);
        Assert.Equal(MongoDecimal.IsNegative(driver), value.IsNegative);
        if (!value.TryGetFinite(out bool negative, out UInt128 coefficient, out int exponent))
        {
            Assert.True(value.IsNaN || value.IsInfinity);
            Assert.Equal(driver.ToString(), value.ToString());
            return;
        }
        Assert.Equal(MongoDecimal.IsNegative(driver), negative);
        Assert.Equal(MongoDecimal.GetExponent(driver), exponent);
        var driverCoefficient = new UInt128(MongoDecimal.GetSignificandHighBits(driver), MongoDecimal.GetSignificandLowBits(driver));
        bool secondForm = (value.High & 0x6000_0000_0000_0000) == 0x6000_0000_0000_0000;
        if (secondForm || driverCoefficient > MaxCoefficient)
        {
            // Non-canonical: the spec reads the coefficient as zero. MongoDB.Bson keeps the raw coefficient
            // (first form) or its own zero notation (second form), so compare with its canonical zero instead.
            Assert.Equal(UInt128.Zero, coefficient);
            driver = MongoDecimal.FromComponents(negative, (short)exponent, 0, 0);
        }
        else
        {
            Assert.Equal(driverCoefficient, coefficient);
        }
        string expected = driver.ToString();
        Assert.Equal(expected, value.ToString());
        Assert.Equal(expected, FormatViaUtf8(value));
    }

    private static void AssertFinite(Decimal128Bits value, bool negative, UInt128 coefficient, int exponent, string text)
    {
        Assert.True(value.TryGetFinite(out bool n, out UInt128 c, out int e));
        Assert.Equal((negative, coefficient, exponent), (n, c, e));
        Assert.False(value.IsNaN);
        Assert.False(value.IsInfinity);
        Assert.Equal(negative, value.IsNegative);
        Assert.Equal(text, value.ToString());
        Assert.Equal(text, FormatViaUtf8(value));
    }

    /// <summary>Formats into a destination of exactly the text's length, exercising the copy-from-scratch path.</summary>
    private static string FormatViaUtf8(Decimal128Bits value)
    {
        var wide = new byte[64];
        int n = value.FormatUtf8(wide);
        var exact = new byte[n];
        Assert.True(value.TryFormatUtf8(exact, out int again));
        Assert.Equal(n, again);
        Assert.Equal(wide.AsSpan(0, n).ToArray(), exact);
        return Encoding.ASCII.GetString(exact);
    }
}
