using System.Buffers.Binary;
using System.IO.Compression;
using EtlFast.Core.Sources.Archive;

namespace EtlFast.Core.Tests.Archive;

/// <summary>
/// A mongodump archive made by <see cref="ArchiveWriter"/> from seed users: sample_db.users (the seed
/// mapping's namespace) interleaved with a decoy namespace in small blocks, as mongodump's parallel dump
/// interleaves collections. Remembers where each users document and the users EOF header start, so
/// damage can be put exactly where a test wants it.
/// </summary>
internal sealed class SeedArchive
{
    public const int BlockBytes = 16 * 1024;

    private SeedArchive(byte[] bytes, List<long> userStarts, long usersEof, long firstDecoyBlock, int usersBlocks)
    {
        Bytes = bytes;
        UserStarts = userStarts;
        UsersEofHeader = usersEof;
        FirstDecoyBlock = firstDecoyBlock;
        UsersBlocks = usersBlocks;
    }

    public byte[] Bytes { get; }

    /// <summary>Archive offset of each users document, in order.</summary>
    public List<long> UserStarts { get; }

    /// <summary>Archive offset of the users namespace's EOF header.</summary>
    public long UsersEofHeader { get; }

    /// <summary>Archive offset of the decoy namespace's first block header.</summary>
    public long FirstDecoyBlock { get; }

    /// <summary>How many data blocks the users namespace was written in.</summary>
    public int UsersBlocks { get; }

    /// <summary>
    /// <paramref name="users"/> as <paramref name="usersNs"/>, one decoy document after every 25th user as
    /// <paramref name="decoyNs"/>; <paramref name="extra"/> namespaces are only listed in the prelude.
    /// </summary>
    public static SeedArchive Write(byte[] users, byte[] decoy, (string Db, string Collection) usersNs, (string Db, string Collection) decoyNs,
        IReadOnlyList<ArchiveNamespace>? extra = null)
    {
        var namespaces = new List<ArchiveNamespace>
        {
            new(usersNs.Db, usersNs.Collection, ArchiveNamespaceKind.Collection, null),
            new(decoyNs.Db, decoyNs.Collection, ArchiveNamespaceKind.Collection, null),
        };
        namespaces.AddRange(extra ?? []);
        using var output = new MemoryStream();
        var starts = new List<long>();
        long firstDecoy = -1;
        int blocks = 0, last = -1;
        using (var writer = new ArchiveWriter(output, namespaces, BlockBytes))
        {
            List<ReadOnlyMemory<byte>> decoys = Split(decoy);
            int nextDecoy = 0;
            long blockFill = 0;
            foreach (ReadOnlyMemory<byte> doc in Split(users))
            {
                if (last != 0 || blockFill >= BlockBytes)
                {
                    blocks++;
                    blockFill = 0;
                }
                writer.Write(0, doc.Span);
                blockFill += doc.Length;
                last = 0;
                starts.Add(output.Position - doc.Length);
                if (starts.Count % 25 == 0 && nextDecoy < decoys.Count)
                {
                    long before = output.Position;
                    writer.Write(1, decoys[nextDecoy++].Span);
                    last = 1;
                    if (firstDecoy < 0)
                    {
                        firstDecoy = before + 4; // after the users block's terminator
                    }
                }
            }
            long beforeEof = output.Position;
            writer.Complete(0);
            output.Flush();
            byte[] sofar = output.ToArray();
            long eof = BinaryPrimitives.ReadUInt32LittleEndian(sofar.AsSpan((int)beforeEof)) == 0xffffffff ? beforeEof + 4 : beforeEof;
            while (nextDecoy < decoys.Count)
            {
                writer.Write(1, decoys[nextDecoy++].Span);
            }
            writer.CompleteAll();
            return new SeedArchive(output.ToArray(), starts, eof, firstDecoy, blocks);
        }
    }

    public static List<ReadOnlyMemory<byte>> Split(byte[] bson)
    {
        var docs = new List<ReadOnlyMemory<byte>>();
        for (int p = 0; p < bson.Length;)
        {
            int length = BinaryPrimitives.ReadInt32LittleEndian(bson.AsSpan(p));
            docs.Add(bson.AsMemory(p, length));
            p += length;
        }
        return docs;
    }

    public static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest))
        {
            gz.Write(bytes);
        }
        return output.ToArray();
    }
}
