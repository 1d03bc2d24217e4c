using MongoDB.Bson;
using MongoDB.Bson.IO;
using MongoDB.Bson.Serialization;
using MongoDB.Bson.Serialization.Serializers;
using MongoDB.Driver;

namespace EtlFast.Core.Sources;

/// <summary>What a find through <see cref="CopyingProjection"/> yields per document: nothing but a count.</summary>
internal sealed class CopiedDocument
{
    public static readonly CopiedDocument Instance = new();

    private CopiedDocument()
    {
    }
}

/// <summary>Receives each raw document of a cursor batch, as the driver deserializes the batch.</summary>
internal interface IRawDocumentSink
{
    /// <summary>Copies <paramref name="length"/> bytes of one whole document from <paramref name="stream"/> (positioned at its start).</summary>
    void Take(BsonStream stream, int length);
}

/// <summary>
/// The hot read of a live source without a per-document object. The driver still connects,
/// authenticates, selects servers, negotiates TLS and compression, runs find and getMore and reads
/// each reply into its pooled buffers; but where it would build a RawBsonDocument (and a buffer
/// slice) per document, this serializer copies the document's bytes straight from the reply buffer
/// into the chunk being packed and returns one shared marker. Sends no projection: whole documents.
/// </summary>
internal sealed class CopyingProjection(IRawDocumentSink sink) : ProjectionDefinition<RawBsonDocument, CopiedDocument>
{
    private readonly Serializer _serializer = new(sink);

    public override RenderedProjectionDefinition<CopiedDocument> Render(RenderArgs<RawBsonDocument> args) => new(null, _serializer);

    private sealed class Serializer(IRawDocumentSink sink) : SerializerBase<CopiedDocument>
    {
        public override CopiedDocument Deserialize(BsonDeserializationContext context, BsonDeserializationArgs args)
        {
            if (context.Reader is not BsonBinaryReader reader || reader.CurrentBsonType != BsonType.Document)
            {
                throw new BsonSerializationException("a cursor batch held something other than a BSON document");
            }
            // Let the reader step over the document (it keeps its own state right), then copy the bytes it stepped over.
            BsonStream stream = reader.BsonStream;
            long start = stream.Position;
            reader.SkipValue();
            long end = stream.Position;
            stream.Position = start;
            sink.Take(stream, checked((int)(end - start)));
            stream.Position = end;
            return CopiedDocument.Instance;
        }
    }
}
