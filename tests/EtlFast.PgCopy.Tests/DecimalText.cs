using System.Globalization;
using System.Numerics;

namespace EtlFast.PgCopy.Tests;

/// <summary>
/// The exact decimal PostgreSQL should print for a numeric, computed independently of PgNumeric with
/// BigInteger: coefficient * 10^exponent with max(0, -exponent) digits after the point.
/// </summary>
internal static class DecimalText
{
    public static string Of(bool negative, UInt128 coefficient, int exponent)
    {
        BigInteger value = BigInteger.Parse(coefficient.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        string sign = negative && !value.IsZero ? "-" : "";
        if (exponent >= 0)
        {
            return sign + (value * BigInteger.Pow(10, exponent)).ToString(CultureInfo.InvariantCulture);
        }
        int scale = -exponent;
        string digits = value.ToString(CultureInfo.InvariantCulture).PadLeft(scale + 1, '0');
        return sign + digits[..^scale] + "." + digits[^scale..];
    }

    /// <summary>A plain-notation expansion of a "R"-formatted double ("1.5E-05" -> "0.000015").</summary>
    public static string OfShortestDouble(double value)
    {
        string r = value.ToString("R", CultureInfo.InvariantCulture);
        bool negative = r.StartsWith('-');
        if (negative)
        {
            r = r[1..];
        }
        int exponent = 0;
        int e = r.IndexOf('E', StringComparison.Ordinal);
        if (e >= 0)
        {
            exponent = int.Parse(r[(e + 1)..], CultureInfo.InvariantCulture);
            r = r[..e];
        }
        int point = r.IndexOf('.', StringComparison.Ordinal);
        if (point >= 0)
        {
            exponent -= r.Length - point - 1;
            r = r.Remove(point, 1);
        }
        return Of(negative, UInt128.Parse(r, CultureInfo.InvariantCulture), exponent);
    }
}
