using System.Buffers.Binary;
using MongoDB.Bson;

namespace EtlFast.WireServer.Storage;

/// <summary>
/// One stored document: its exact BSON bytes (what find returns, byte for byte) and its parsed `_id`,
/// the only field the store itself needs.
/// </summary>
internal sealed class StoredDocument
{
    private StoredDocument(BsonValue id, byte[] bytes)
    {
        Id = id;
        Bytes = bytes;
    }

    public BsonValue Id { get; }

    public byte[] Bytes { get; }

    /// <summary>A lazily parsed view over the bytes, for filters and projections on other fields.</summary>
    public RawBsonDocument View() => new(Bytes);

    /// <summary>
    /// Takes BSON bytes as a client sent them: adds an ObjectId `_id` when missing and moves `_id` to the
    /// front when it is elsewhere, as mongod does on insert.
    /// </summary>
    public static StoredDocument FromBytes(byte[] bytes)
    {
        if (bytes.Length < 5 || BinaryPrimitives.ReadInt32LittleEndian(bytes) != bytes.Length)
        {
            throw new FormatException($"BSON document length prefix does not match its {bytes.Length} bytes");
        }
        if (FirstFieldIsId(bytes))
        {
            var raw = new RawBsonDocument(bytes);
            return new StoredDocument(Materialize(raw["_id"]), bytes);
        }
        return FromDocument(BsonDocumentBytes.Parse(bytes));
    }

    public static StoredDocument FromDocument(BsonDocument document)
    {
        if (!document.TryGetValue("_id", out var id))
        {
            id = ObjectId.GenerateNewId();
            document = new BsonDocument("_id", id).AddRange(document);
        }
        else if (document.GetElement(0).Name != "_id")
        {
            var reordered = new BsonDocument("_id", id);
            foreach (var element in document)
            {
                if (element.Name != "_id")
                {
                    reordered.Add(element);
                }
            }
            document = reordered;
        }
        if (id.BsonType is BsonType.Array or BsonType.RegularExpression or BsonType.Undefined)
        {
            throw new CommandException(2, "BadValue", $"can't use {id.BsonType} for _id");
        }
        return new StoredDocument(Materialize(id), BsonDocumentBytes.Serialize(document));
    }

    private static bool FirstFieldIsId(byte[] bytes) =>
        bytes.Length >= 9 && bytes[5] == (byte)'_' && bytes[6] == (byte)'i' && bytes[7] == (byte)'d' && bytes[8] == 0;

    /// <summary>Raw nested documents point into the buffer; the key must stand alone.</summary>
    private static BsonValue Materialize(BsonValue value) => value switch
    {
        RawBsonDocument raw => raw.Materialize(new MongoDB.Bson.IO.BsonBinaryReaderSettings()),
        RawBsonArray array => array.Materialize(new MongoDB.Bson.IO.BsonBinaryReaderSettings()),
        _ => value,
    };
}
