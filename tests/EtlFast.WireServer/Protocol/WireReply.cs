using System.Buffers.Binary;

namespace EtlFast.WireServer.Protocol;

/// <summary>Frames a reply document as OP_MSG (to OP_MSG requests) or OP_REPLY (to the OP_QUERY handshake).</summary>
internal static class WireReply
{
    private static int nextRequestId;

    public static byte[] Msg(int responseTo, byte[] document)
    {
        var message = new byte[16 + 4 + 1 + document.Length];
        WriteHeader(message, responseTo, OpCode.Msg);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(16), 0); // no flags, no checksum
        message[20] = 0; // kind-0 body
        document.CopyTo(message, 21);
        return message;
    }

    /// <param name="queryFailure">Sets the QueryFailure flag: the document is an {$err} for a legacy query.</param>
    public static byte[] Reply(int responseTo, byte[] document, bool queryFailure = false)
    {
        var message = new byte[16 + 20 + document.Length];
        WriteHeader(message, responseTo, OpCode.Reply);
        var span = message.AsSpan(16);
        BinaryPrimitives.WriteInt32LittleEndian(span, 8 | (queryFailure ? 2 : 0)); // AwaitCapable, as mongod sets it
        BinaryPrimitives.WriteInt64LittleEndian(span[4..], 0); // cursorID
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], 0); // startingFrom
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], 1); // numberReturned
        document.CopyTo(message, 36);
        return message;
    }

    private static void WriteHeader(byte[] message, int responseTo, OpCode opCode)
    {
        var span = message.AsSpan();
        BinaryPrimitives.WriteInt32LittleEndian(span, message.Length);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], Interlocked.Increment(ref nextRequestId));
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], responseTo);
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], (int)opCode);
    }
}
