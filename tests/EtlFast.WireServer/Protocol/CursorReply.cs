using System.Buffers.Binary;
using System.Text;

namespace EtlFast.WireServer.Protocol;

/// <summary>
/// Writes {cursor: {firstBatch|nextBatch: [...], id, ns}, ok: 1} straight from the stored document
/// bytes, so find returns exactly what was loaded, byte for byte, without re-serializing.
/// </summary>
internal static class CursorReply
{
    public static byte[] Build(bool first, IReadOnlyList<byte[]> batch, long cursorId, string ns)
    {
        var buffer = new MemoryStream();
        int root = Begin(buffer);
        int cursor = BeginElement(buffer, 0x03, "cursor");
        int array = BeginElement(buffer, 0x04, first ? "firstBatch" : "nextBatch");
        for (int i = 0; i < batch.Count; i++)
        {
            Name(buffer, 0x03, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            buffer.Write(batch[i]);
        }
        End(buffer, array);
        Name(buffer, 0x12, "id");
        Span<byte> eight = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(eight, cursorId);
        buffer.Write(eight);
        Name(buffer, 0x02, "ns");
        var nsBytes = Encoding.UTF8.GetBytes(ns);
        Span<byte> four = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(four, nsBytes.Length + 1);
        buffer.Write(four);
        buffer.Write(nsBytes);
        buffer.WriteByte(0);
        End(buffer, cursor);
        Name(buffer, 0x01, "ok");
        BinaryPrimitives.WriteDoubleLittleEndian(eight, 1.0);
        buffer.Write(eight);
        End(buffer, root);
        return buffer.ToArray();
    }

    private static int Begin(MemoryStream buffer)
    {
        int start = (int)buffer.Position;
        buffer.Write([0, 0, 0, 0]);
        return start;
    }

    private static int BeginElement(MemoryStream buffer, byte type, string name)
    {
        Name(buffer, type, name);
        return Begin(buffer);
    }

    private static void End(MemoryStream buffer, int start)
    {
        buffer.WriteByte(0);
        int end = (int)buffer.Position;
        buffer.Position = start;
        Span<byte> four = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(four, end - start);
        buffer.Write(four);
        buffer.Position = end;
    }

    private static void Name(MemoryStream buffer, byte type, string name)
    {
        buffer.WriteByte(type);
        buffer.Write(Encoding.UTF8.GetBytes(name));
        buffer.WriteByte(0);
    }
}
