using System.Buffers.Binary;
using System.Globalization;
using CsCheck;
using Npgsql;
using NpgsqlTypes;

namespace EtlFast.PgCopy.Tests;

/// <summary>numeric values written by PgNumeric, loaded by a real server, compared as the server prints them.</summary>
public sealed class PgNumericServerTests(TestSchema schema) : IClassFixture<TestSchema>
{
    private static readonly UInt128 MaxDecimal128Coefficient = UInt128.Parse("9999999999999999999999999999999999", CultureInfo.InvariantCulture);

    private static UInt128 Pow10(int n)
    {
        UInt128 p = 1;
        for (int i = 0; i < n; i++)
        {
            p *= 10;
        }
        return p;
    }

    /// <summary>Uniform over all of UInt128 (CsCheck's Gen.UInt128 is a small uint, not System.UInt128).</summary>
    private static readonly Gen<UInt128> AnyUInt128 = Gen.Select(Gen.ULong, Gen.ULong, (high, low) => new UInt128(high, low));

    /// <summary>Coefficients of every length up to decimal128's 34 digits, a few full UInt128s, and the edges.</summary>
    private static readonly Gen<UInt128> Coefficient = Gen.Frequency<UInt128>(
        (8, Gen.Int[1, 34].SelectMany(digits => AnyUInt128.Select(u => u % Pow10(digits)))),
        (1, AnyUInt128), // up to 39 digits
        (1, Gen.OneOfConst(UInt128.Zero, UInt128.One, MaxDecimal128Coefficient, UInt128.MaxValue, (UInt128)ulong.MaxValue, (UInt128)ulong.MaxValue + 1, Pow10(16), Pow10(32), Pow10(33) * 7)));

    /// <summary>Small exponents (most real data), decimal128's whole range, and its edges.</summary>
    private static readonly Gen<int> Exponent = Gen.Frequency<int>(
        (4, Gen.Int[-40, 40]),
        (2, Gen.Int[-6176, 6111]),
        (1, Gen.OneOfConst(-6176, 6111, 0, -1, -4, 4, -3, 3)));

    private static readonly Gen<(bool Negative, UInt128 Coefficient, int Exponent)> Value = Gen.Select(Gen.Bool, Coefficient, Exponent);

    /// <summary>Batch ids unique across test instances (xunit makes one instance per test) that share a table.</summary>
    private static int _batch;

    /// <summary>Loads (negative, coefficient, exponent) triples into table <paramref name="table"/> and returns the server's text for each.</summary>
    private List<string?> LoadAndPrint(string table, IReadOnlyList<(bool Negative, UInt128 Coefficient, int Exponent)> values)
    {
        int batch = Interlocked.Increment(ref _batch);
        using var c = schema.Open();
        TestServer.Execute(c, $"CREATE TABLE IF NOT EXISTS {table} (batch int, id int, v numeric)");
        using var buffer = new CopyBuffer(256);
        buffer.WriteHeader();
        for (int id = 0; id < values.Count; id++)
        {
            buffer.StartRow(3);
            buffer.WriteInt32(batch);
            buffer.WriteInt32(id);
            buffer.WriteNumeric(values[id].Negative, values[id].Coefficient, values[id].Exponent);
        }
        buffer.WriteTrailer();
        TestServer.Copy(c, $"COPY {table} (batch, id, v) FROM STDIN (FORMAT BINARY)", buffer);
        return TestServer.Rows(c, $"SELECT v::text FROM {table} WHERE batch = {batch} ORDER BY id").Select(r => r[0]).ToList();
    }

    [Fact]
    public void Random_decimals_load_as_the_exact_decimal_text()
    {
        Value.Array[1, 120].Sample(values =>
        {
            List<string?> printed = LoadAndPrint("prop", values);
            Assert.Equal(values.Length, printed.Count);
            for (int i = 0; i < values.Length; i++)
            {
                var (negative, coefficient, exponent) = values[i];
                Assert.True(DecimalText.Of(negative, coefficient, exponent) == printed[i],
                    $"({negative}, {coefficient}, {exponent}) printed as {printed[i]?[..Math.Min(printed[i]!.Length, 200)]}");
            }
        }, iter: 60, threads: 1);
    }

    [Fact]
    public void Zero_keeps_its_scale_and_has_no_sign()
    {
        (bool, UInt128, int)[] values = [(false, 0, 0), (true, 0, 0), (false, 0, -3), (true, 0, -2), (false, 0, 5), (true, 0, 6111), (false, 0, -6176), (false, 0, PgNumeric.MinExponent), (false, 0, PgNumeric.MaxExponent)];
        List<string?> printed = LoadAndPrint("zeros", values);
        Assert.Equal("0", printed[0]);
        Assert.Equal("0", printed[1]);
        Assert.Equal("0.000", printed[2]);
        Assert.Equal("0.00", printed[3]);
        Assert.Equal("0", printed[4]);
        Assert.Equal("0", printed[5]);
        Assert.Equal("0." + new string('0', 6176), printed[6]);
        Assert.Equal("0." + new string('0', 16383), printed[7]);
        Assert.Equal("0", printed[8]);
    }

    [Fact]
    public void Edges_of_the_exponent_range_load_exactly()
    {
        (bool, UInt128, int)[] values =
        [
            (false, MaxDecimal128Coefficient, 6111),
            (true, MaxDecimal128Coefficient, -6176),
            (false, 1, -6176),
            (true, 1, 6111),
            (false, UInt128.MaxValue, PgNumeric.MaxExponent), // the largest weight PostgreSQL can store
            (false, 1, PgNumeric.MinExponent),
            (true, UInt128.MaxValue, PgNumeric.MinExponent),
            (false, 12345, -2), (false, 12345, -3), (false, 12345, -4), (false, 12345, -5),
            (false, 12345, 1), (false, 12345, 2), (false, 12345, 3), (false, 12345, 4),
            (false, 10000, 0), (false, 100000000, -8), (true, 150, -2),
        ];
        List<string?> printed = LoadAndPrint("edges", values);
        for (int i = 0; i < values.Length; i++)
        {
            var (negative, coefficient, exponent) = values[i];
            Assert.Equal(DecimalText.Of(negative, coefficient, exponent), printed[i]);
        }
        Assert.Equal("123.45", printed[7]);
        Assert.Equal("0.12345", printed[10]);
        Assert.Equal("123450000", printed[14]);
        Assert.Equal("1.00000000", printed[16]);
        Assert.Equal("-1.50", printed[17]);
    }

    [Fact]
    public void NaN_and_infinities_load()
    {
        using var c = schema.Open();
        TestServer.Execute(c, "CREATE TABLE specials (id int, v numeric)");
        using var buffer = new CopyBuffer();
        buffer.WriteHeader();
        Action<CopyBuffer>[] writers =
        [
            PgNumeric.WriteNaN, PgNumeric.WritePositiveInfinity, PgNumeric.WriteNegativeInfinity,
            b => b.WriteNumeric(double.NaN), b => b.WriteNumeric(double.PositiveInfinity), b => b.WriteNumeric(double.NegativeInfinity),
        ];
        for (int id = 0; id < writers.Length; id++)
        {
            buffer.StartRow(2);
            buffer.WriteInt32(id);
            writers[id](buffer);
        }
        buffer.WriteTrailer();
        TestServer.Copy(c, "COPY specials (id, v) FROM STDIN (FORMAT BINARY)", buffer);
        var rows = TestServer.Rows(c, "SELECT v::text, (v = 'NaN')::text, (v > 1e300)::text FROM specials ORDER BY id");
        Assert.Equal(["NaN", "Infinity", "-Infinity", "NaN", "Infinity", "-Infinity"], rows.Select(r => r[0]));
        Assert.Equal(["true", "false", "false", "true", "false", "false"], rows.Select(r => r[1]));
        Assert.Equal(["true", "true", "false", "true", "true", "false"], rows.Select(r => r[2])); // NaN sorts above everything
    }

    private static readonly double[] NotableDoubles =
    [
        0.0, -0.0, 0.1, -0.1, 0.2, 0.30000000000000004, 1.0 / 3, Math.PI, -Math.E, 1e21, 1e-5, 1.5e-5, 123.456, 100, 1e15, 1e16, 1e14,
        9007199254740993, 9007199254740992, double.Epsilon, -double.Epsilon, 2.2250738585072014E-308, 2.2250738585072009E-308,
        double.MaxValue, double.MinValue, 1e308, 1e-300, 4.35, 0.000123, 123456789012345680000.0, long.MaxValue, ulong.MaxValue,
    ];

    [Fact]
    public void Doubles_load_as_their_shortest_round_trip_decimal()
    {
        LoadDoublesAndCheck(NotableDoubles);
    }

    [Fact]
    public void Random_doubles_load_as_their_shortest_round_trip_decimal()
    {
        var finite = Gen.Frequency<double>(
            (3, Gen.Double.Where(double.IsFinite)),
            (3, Gen.Double[-1e6, 1e6]),
            (1, Gen.Long.Select(bits => BitConverter.Int64BitsToDouble(bits)).Where(double.IsFinite))); // every exponent, subnormals too
        finite.Array[1, 150].Sample(LoadDoublesAndCheck, iter: 30, threads: 1);
    }

    private void LoadDoublesAndCheck(double[] values)
    {
        int batch = Interlocked.Increment(ref _batch);
        using var c = schema.Open();
        TestServer.Execute(c, "CREATE TABLE IF NOT EXISTS dbl (batch int, id int, v numeric, original float8)");
        using var buffer = new CopyBuffer(256);
        buffer.WriteHeader();
        for (int id = 0; id < values.Length; id++)
        {
            buffer.StartRow(4);
            buffer.WriteInt32(batch);
            buffer.WriteInt32(id);
            buffer.WriteNumeric(values[id]);
            buffer.WriteFloat8(values[id]);
        }
        buffer.WriteTrailer();
        TestServer.Copy(c, "COPY dbl (batch, id, v, original) FROM STDIN (FORMAT BINARY)", buffer);

        using var command = new NpgsqlCommand("SELECT v::text, (v::float8 = original)::text, v::float8 FROM dbl WHERE batch = $1 ORDER BY id", c);
        command.Parameters.Add(new NpgsqlParameter { Value = batch, NpgsqlDbType = NpgsqlDbType.Integer });
        using var reader = command.ExecuteReader();
        foreach (double value in values)
        {
            Assert.True(reader.Read());
            string text = reader.GetString(0);
            string label = value.ToString("R", CultureInfo.InvariantCulture);
            Assert.True(DecimalText.OfShortestDouble(value) == text, $"{label} printed as {text}");
            Assert.True(reader.GetString(1) == "true", $"{label}: numeric::float8 differs from the double");
            Assert.Equal(BitConverter.DoubleToInt64Bits(value == 0 ? 0.0 : value), BitConverter.DoubleToInt64Bits(reader.GetDouble(2)));
            // Shortest: dropping the last significant digit no longer round-trips (for values with two or more).
            string significant = text.TrimStart('-').Replace(".", "").Trim('0');
            if (significant.Length > 1)
            {
                Assert.True(significant.Length <= 17, $"{label}: {significant.Length} significant digits");
                Assert.NotEqual(value, double.Parse(Truncated(text), CultureInfo.InvariantCulture));
            }
        }
    }

    /// <summary>The decimal with its last significant digit dropped (truncated toward zero).</summary>
    private static string Truncated(string text)
    {
        int last = text.Length - 1;
        while (text[last] == '0' || text[last] == '.')
        {
            last--;
        }
        char[] chars = text.ToCharArray();
        chars[last] = '0';
        return new string(chars);
    }

    [Fact]
    public void Exponents_outside_what_PostgreSQL_can_store_are_refused_before_writing()
    {
        using var buffer = new CopyBuffer();
        var low = Assert.Throws<ArgumentOutOfRangeException>(() => buffer.WriteNumeric(false, 1, PgNumeric.MinExponent - 1));
        Assert.Contains("16383", low.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.WriteNumeric(false, 1, PgNumeric.MaxExponent + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.WriteNumeric(true, 1, int.MinValue));
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.WriteNumeric(true, 1, int.MaxValue));
        Assert.Equal(0, buffer.Length);
    }

    [Fact]
    public void The_server_itself_refuses_a_scale_one_past_MinExponent()
    {
        // Proves MinExponent is PostgreSQL's limit (14 bits of dscale), not ours: a hand-built field with dscale 16384 fails.
        using var c = schema.Open();
        TestServer.Execute(c, "CREATE TABLE past (v numeric)");
        using var buffer = new CopyBuffer();
        buffer.WriteHeader();
        buffer.StartRow(1);
        int mark = buffer.BeginField();
        Span<byte> s = buffer.GetSpan(10);
        BinaryPrimitives.WriteInt16BigEndian(s, 1); // ndigits
        BinaryPrimitives.WriteInt16BigEndian(s[2..], -4096); // weight
        BinaryPrimitives.WriteUInt16BigEndian(s[4..], 0); // sign
        BinaryPrimitives.WriteUInt16BigEndian(s[6..], -PgNumeric.MinExponent + 1); // dscale
        BinaryPrimitives.WriteUInt16BigEndian(s[8..], 1);
        buffer.Advance(10);
        buffer.EndField(mark);
        buffer.WriteTrailer();
        var error = Assert.Throws<PostgresException>(() => TestServer.Copy(c, "COPY past FROM STDIN (FORMAT BINARY)", buffer));
        Assert.Contains("scale", error.MessageText, StringComparison.Ordinal);
    }
}
