using System.Buffers;
using System.Buffers.Binary;

namespace EtlFast.Bson;

/// <summary>
/// Finds document boundaries in a byte stream of concatenated BSON documents (a mongodump .bson file,
/// a socket) that arrives in buffers split at arbitrary points. Only the length prefix and the last
/// byte are looked at; <see cref="BsonValidator"/> or <see cref="BsonReader"/> check the inside.
/// "Need more data" is a return value, never an exception.
/// </summary>
public static class BsonFramer
{
    /// <summary>
    /// <see cref="OperationStatus.Done"/> when <paramref name="buffer"/> starts with a whole document
    /// (its length in <paramref name="documentLength"/>); <see cref="OperationStatus.NeedMoreData"/> when
    /// fewer than 4 bytes, or fewer than the length prefix says, are present.
    /// </summary>
    /// <param name="streamOffset">Position of <paramref name="buffer"/>'s first byte in the stream, for error offsets.</param>
    /// <param name="maxDocumentSize">Largest document accepted, e.g. <see cref="BsonReader.DefaultMaxDocumentSize"/>.</param>
    /// <exception cref="BsonException">
    /// <see cref="BsonErrorKind.InvalidDocumentLength"/> when the prefix is below 5 or above
    /// <paramref name="maxDocumentSize"/> (the stream cannot be resynchronised);
    /// <see cref="BsonErrorKind.MissingTerminator"/> when the whole document is present but does not end with 0x00.
    /// </exception>
    public static OperationStatus TryFrame(ReadOnlySpan<byte> buffer, long streamOffset, int maxDocumentSize, out int documentLength)
    {
        documentLength = 0;
        if (buffer.Length < 4)
        {
            return OperationStatus.NeedMoreData;
        }
        int length = BinaryPrimitives.ReadInt32LittleEndian(buffer);
        CheckLength(length, streamOffset, maxDocumentSize);
        if (buffer.Length < length)
        {
            return OperationStatus.NeedMoreData;
        }
        CheckTerminator(buffer[length - 1], streamOffset, length);
        documentLength = length;
        return OperationStatus.Done;
    }

    /// <summary>
    /// As <see cref="TryFrame(ReadOnlySpan{byte}, long, int, out int)"/>, over a sequence of segments
    /// (the length prefix and the document may straddle segments).
    /// </summary>
    public static OperationStatus TryFrame(in ReadOnlySequence<byte> buffer, long streamOffset, int maxDocumentSize, out int documentLength)
    {
        ReadOnlySpan<byte> first = buffer.FirstSpan;
        if (first.Length >= 4 && first.Length >= BinaryPrimitives.ReadInt32LittleEndian(first))
        {
            return TryFrame(first, streamOffset, maxDocumentSize, out documentLength); // whole document in one segment
        }
        return TryFrameSegmented(buffer, streamOffset, maxDocumentSize, out documentLength);
    }

    /// <summary>
    /// Call at the end of the stream with the bytes no document took: nothing when there are none,
    /// otherwise a <see cref="BsonException"/> (<see cref="BsonErrorKind.TruncatedDocument"/>) saying the
    /// stream ends inside a document.
    /// </summary>
    public static void CheckEndOfStream(long remainingBytes, long streamOffset)
    {
        if (remainingBytes != 0)
        {
            BsonThrow.AtStream(streamOffset, BsonErrorKind.TruncatedDocument,
                $"the stream ends {remainingBytes} bytes into a document");
        }
    }

    private static OperationStatus TryFrameSegmented(in ReadOnlySequence<byte> buffer, long streamOffset, int maxDocumentSize, out int documentLength)
    {
        documentLength = 0;
        if (buffer.Length < 4)
        {
            return OperationStatus.NeedMoreData;
        }
        Span<byte> prefix = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(prefix);
        int length = BinaryPrimitives.ReadInt32LittleEndian(prefix);
        CheckLength(length, streamOffset, maxDocumentSize);
        if (buffer.Length < length)
        {
            return OperationStatus.NeedMoreData;
        }
        CheckTerminator(buffer.Slice(length - 1, 1).FirstSpan[0], streamOffset, length);
        documentLength = length;
        return OperationStatus.Done;
    }

    private static void CheckLength(int length, long streamOffset, int maxDocumentSize)
    {
        if (length < 5 || length > maxDocumentSize)
        {
            BsonThrow.AtStream(streamOffset, BsonErrorKind.InvalidDocumentLength,
                $"document length prefix is {length}; expected 5 to {maxDocumentSize} bytes (is this a BSON stream?)");
        }
    }

    private static void CheckTerminator(byte last, long streamOffset, int length)
    {
        if (last != 0)
        {
            BsonThrow.AtStream(streamOffset + length - 1, BsonErrorKind.MissingTerminator,
                $"the document that starts at byte offset {streamOffset} claims {length} bytes but does not end with 0x00 there: its length prefix or its end is corrupt");
        }
    }
}
