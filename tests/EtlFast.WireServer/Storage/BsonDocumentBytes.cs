using MongoDB.Bson;
using MongoDB.Bson.IO;
using MongoDB.Bson.Serialization;
using MongoDB.Bson.Serialization.Serializers;

namespace EtlFast.WireServer.Storage;

/// <summary>BSON bytes to and from BsonDocument without the serializer registry (no size cap: bodies may exceed 16 MB).</summary>
internal static class BsonDocumentBytes
{
    private static readonly BsonBinaryReaderSettings ReaderSettings = new() { MaxDocumentSize = int.MaxValue };
    private static readonly BsonBinaryWriterSettings WriterSettings = new() { MaxDocumentSize = int.MaxValue };

    public static BsonDocument Parse(byte[] bytes) => Parse(bytes, 0, bytes.Length);

    public static BsonDocument Parse(byte[] buffer, int offset, int count)
    {
        using var stream = new MemoryStream(buffer, offset, count, writable: false);
        using var reader = new BsonBinaryReader(stream, ReaderSettings);
        return BsonDocumentSerializer.Instance.Deserialize(BsonDeserializationContext.CreateRoot(reader));
    }

    public static byte[] Serialize(BsonDocument document)
    {
        using var stream = new MemoryStream();
        Write(stream, document);
        return stream.ToArray();
    }

    public static void Write(Stream stream, BsonDocument document)
    {
        using var writer = new BsonBinaryWriter(stream, WriterSettings);
        BsonDocumentSerializer.Instance.Serialize(BsonSerializationContext.CreateRoot(writer), document);
    }
}
