using System.Numerics;
using System.Runtime.CompilerServices;

namespace EtlFast.Core.Generation;

/// <summary>
/// xoshiro256** (Blackman and Vigna): a small, fast PRNG with a published algorithm, so generated data is
/// the same on every runtime (System.Random's algorithm is unspecified). Seeded through SplitMix64, as its
/// authors recommend. A mutable struct: pass it by ref.
/// </summary>
internal struct Xoshiro256
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>A generator for stream <paramref name="stream"/> of <paramref name="seed"/> (e.g. one per document).</summary>
    public Xoshiro256(ulong seed, ulong stream)
    {
        ulong x = seed ^ (stream * 0xD1342543DE82EF95UL);
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Next()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, <paramref name="bound"/>) by multiply-shift (Lemire; the bias is below 2^-32).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Below(int bound) => (int)(((Next() >> 32) * (ulong)(uint)bound) >> 32);

    /// <summary>Uniform in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Between(int min, int max) => min + Below(max - min + 1);

    /// <summary>Uniform in [0, <paramref name="bound"/>) for a 64-bit bound.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Below(long bound) => (long)Math.BigMul(Next(), (ulong)bound, out _);

    /// <summary>True with probability <paramref name="percent"/>/100.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Chance(int percent) => Below(100) < percent;

    /// <summary>Uniform in [0, 1) with 53 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    private static ulong SplitMix64(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
