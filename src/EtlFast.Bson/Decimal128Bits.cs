namespace EtlFast.Bson;

/// <summary>The raw 128 bits of a BSON decimal128 (IEEE 754-2008 decimal, binary integer decimal encoding).</summary>
public readonly record struct Decimal128Bits(ulong Low, ulong High);
