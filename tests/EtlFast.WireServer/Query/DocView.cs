using EtlFast.WireServer.Storage;
using MongoDB.Bson;

namespace EtlFast.WireServer.Query;

/// <summary>
/// A document flowing through find or a pipeline: either a stored one (bytes kept, `_id` pre-parsed,
/// other fields read lazily) or one a stage computed.
/// </summary>
internal sealed class DocView
{
    private readonly StoredDocument? stored;
    private BsonDocument? document;

    private DocView(StoredDocument? stored, BsonDocument? document)
    {
        this.stored = stored;
        this.document = document;
    }

    public static DocView Of(StoredDocument stored) => new(stored, null);

    public static DocView Of(BsonDocument document) => new(null, document);

    public BsonDocument Document => document ??= stored!.View();

    public bool TryGet(string field, out BsonValue value)
    {
        if (stored is not null && field == "_id")
        {
            value = stored.Id;
            return true;
        }
        return Document.TryGetValue(field, out value!);
    }

    /// <summary>The value a missing field stands for in grouping and sorting.</summary>
    public BsonValue GetOrNull(string field) => TryGet(field, out var v) ? v : BsonNull.Value;

    public byte[] ToBytes() => stored is not null ? stored.Bytes : BsonDocumentBytes.Serialize(document!);
}
