using System.Numerics;

namespace EtlFast.WireServer.Protocol;

/// <summary>CRC-32C (Castagnoli), the OP_MSG checksum; BitOperations uses the CPU instruction where there is one.</summary>
internal static class Crc32C
{
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = uint.MaxValue;
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BitConverter.ToUInt64(data));
            data = data[8..];
        }
        foreach (byte b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }
        return ~crc;
    }
}
