using System.Buffers.Binary;
using System.Text;
using EtlFast.WireServer.Storage;
using MongoDB.Bson;

namespace EtlFast.WireServer.Protocol;

/// <summary>
/// A parsed request: OP_MSG (kind-0 body plus kind-1 document sequences) or a legacy OP_QUERY
/// against a $cmd namespace (the driver's first handshake).
/// </summary>
internal sealed class WireRequest
{
    private WireRequest(OpCode opCode, int requestId, MsgFlags flags, BsonDocument body, string? queryNamespace)
    {
        OpCode = opCode;
        RequestId = requestId;
        Flags = flags;
        Body = body;
        QueryNamespace = queryNamespace;
    }

    public OpCode OpCode { get; }

    public int RequestId { get; }

    public MsgFlags Flags { get; }

    public BsonDocument Body { get; }

    /// <summary>OP_QUERY only: the full collection name, e.g. "admin.$cmd".</summary>
    public string? QueryNamespace { get; }

    /// <summary>Kind-1 sections by identifier ("documents" for insert), each document as its own bytes.</summary>
    public Dictionary<string, List<byte[]>> Sequences { get; } = new(StringComparer.Ordinal);

    /// <summary>Parses the bytes after the 16-byte header. Throws FormatException on malformed input.</summary>
    public static WireRequest Parse(OpCode opCode, int requestId, byte[] message, int length)
    {
        return opCode switch
        {
            OpCode.Msg => ParseMsg(requestId, message, length),
            OpCode.Query => ParseQuery(requestId, message, length),
            _ => throw new FormatException($"opcode {(int)opCode} is not supported"),
        };
    }

    private static WireRequest ParseMsg(int requestId, byte[] message, int length)
    {
        // message holds the whole message, header included, so the checksum covers it directly.
        var flags = (MsgFlags)BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(16));
        int end = length;
        if ((flags & MsgFlags.ChecksumPresent) != 0)
        {
            end -= 4;
            uint expected = BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(end));
            uint actual = Crc32C.Compute(message.AsSpan(0, end));
            if (expected != actual)
            {
                throw new FormatException($"OP_MSG checksum mismatch: message says {expected:x8}, bytes give {actual:x8}");
            }
        }
        unchecked
        {
            const uint Known = (uint)(MsgFlags.ChecksumPresent | MsgFlags.MoreToCome | MsgFlags.ExhaustAllowed);
            if (((uint)flags & ~Known & 0xFFFF) != 0)
            {
                // Unknown required bits (the low 16) must make the server reject the message.
                throw new FormatException($"OP_MSG has unknown required flag bits 0x{(uint)flags:x8}");
            }
        }
        BsonDocument? body = null;
        var sequences = new Dictionary<string, List<byte[]>>(StringComparer.Ordinal);
        int pos = 20;
        while (pos < end)
        {
            byte kind = message[pos++];
            if (kind == 0)
            {
                int size = DocumentLength(message, pos, end);
                if (body is not null)
                {
                    throw new FormatException("OP_MSG has more than one kind-0 section");
                }
                body = BsonDocumentBytes.Parse(message, pos, size);
                pos += size;
            }
            else if (kind == 1)
            {
                int size = BinaryPrimitives.ReadInt32LittleEndian(message.AsSpan(pos));
                int sectionEnd = pos + size;
                if (size < 5 || sectionEnd > end)
                {
                    throw new FormatException("OP_MSG kind-1 section size is out of range");
                }
                int p = pos + 4;
                string identifier = ReadCString(message, ref p, sectionEnd);
                var docs = new List<byte[]>();
                while (p < sectionEnd)
                {
                    int docSize = DocumentLength(message, p, sectionEnd);
                    docs.Add(message.AsSpan(p, docSize).ToArray());
                    p += docSize;
                }
                if (!sequences.TryAdd(identifier, docs))
                {
                    throw new FormatException($"OP_MSG has two kind-1 sections named '{identifier}'");
                }
                pos = sectionEnd;
            }
            else
            {
                throw new FormatException($"OP_MSG section kind {kind} is unknown");
            }
        }
        if (body is null)
        {
            throw new FormatException("OP_MSG has no kind-0 body section");
        }
        var request = new WireRequest(OpCode.Msg, requestId, flags, body, null);
        foreach (var (k, v) in sequences)
        {
            request.Sequences.Add(k, v);
        }
        return request;
    }

    private static WireRequest ParseQuery(int requestId, byte[] message, int length)
    {
        int pos = 16 + 4; // header, flags
        string ns = ReadCString(message, ref pos, length);
        pos += 8; // numberToSkip, numberToReturn
        int size = DocumentLength(message, pos, length);
        var query = BsonDocumentBytes.Parse(message, pos, size);
        // Commands sent through OP_QUERY may be wrapped as {$query: {...}, $readPreference: ...}.
        if (query.ElementCount > 0 && query.GetElement(0).Name is "$query" or "query" && query[0] is BsonDocument inner)
        {
            query = inner;
        }
        return new WireRequest(OpCode.Query, requestId, MsgFlags.None, query, ns);
    }

    private static int DocumentLength(byte[] buffer, int pos, int end)
    {
        if (end - pos < 5)
        {
            throw new FormatException("truncated BSON document");
        }
        int size = BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(pos));
        if (size < 5 || size > end - pos || buffer[pos + size - 1] != 0)
        {
            throw new FormatException($"BSON document size {size} does not fit the message");
        }
        return size;
    }

    private static string ReadCString(byte[] buffer, ref int pos, int end)
    {
        int zero = Array.IndexOf(buffer, (byte)0, pos, end - pos);
        if (zero < 0)
        {
            throw new FormatException("unterminated C string");
        }
        string s = Encoding.UTF8.GetString(buffer, pos, zero - pos);
        pos = zero + 1;
        return s;
    }
}
