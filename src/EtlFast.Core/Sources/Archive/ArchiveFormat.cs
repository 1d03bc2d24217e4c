namespace EtlFast.Core.Sources.Archive;

/// <summary>
/// The constants of the mongodump archive format (mongodump --archive), defined once for the reader and
/// the writer. An archive is: the magic number, a header document, one metadata document per namespace
/// (the prelude), a terminator, then blocks: a namespace header document, that namespace's documents and
/// a terminator. A namespace's last block is an EOF header (EOF true, CRC of all its documents) and a
/// terminator, with no documents.
/// </summary>
internal static class ArchiveFormat
{
    /// <summary>0x8199e26d, stored little-endian (6d e2 99 81). As a BSON length prefix it is negative, so no BSON file starts so.</summary>
    public const uint MagicNumber = 0x8199e26d;

    /// <summary>0xffffffff where a document's length prefix would be: the end of the prelude or of a block.</summary>
    public const uint Terminator = 0xffffffff;

    /// <summary>The format version mongodump writes in the header ("0.1" is the only one).</summary>
    public const string Version = "0.1";

    /// <summary>A time-series collection's documents are dumped as the buckets collection of this name prefix.</summary>
    public const string BucketsPrefix = "system.buckets.";

    public static bool StartsWithMagic(ReadOnlySpan<byte> head) =>
        head.Length >= 4 && System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(head) == MagicNumber;
}

/// <summary>
/// The archive's checksum: Go's hash/crc64 with the ECMA table, i.e. CRC-64/XZ (ECMA-182 polynomial,
/// reflected, initial value and final xor all ones). .NET's System.IO.Hashing.Crc64 is the unreflected
/// ECMA-182 variant and gives different values, so it is computed here.
/// </summary>
internal struct ArchiveCrc
{
    private const ulong ReflectedPolynomial = 0xC96C5795D7870F42;
    private static readonly ulong[] Table = BuildTable();

    private ulong _state; // the register, complemented: a fresh struct is the CRC of nothing (0)

    public readonly ulong Value => _state;

    public void Append(ReadOnlySpan<byte> data)
    {
        ulong crc = ~_state;
        ulong[] table = Table;
        foreach (byte b in data)
        {
            crc = table[(byte)crc ^ b] ^ (crc >> 8);
        }
        _state = ~crc;
    }

    private static ulong[] BuildTable()
    {
        var table = new ulong[256];
        for (int i = 0; i < 256; i++)
        {
            ulong c = (ulong)i;
            for (int bit = 0; bit < 8; bit++)
            {
                c = (c & 1) != 0 ? (c >> 1) ^ ReflectedPolynomial : c >> 1;
            }
            table[i] = c;
        }
        return table;
    }
}
