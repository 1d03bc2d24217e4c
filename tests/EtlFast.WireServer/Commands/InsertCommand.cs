using EtlFast.WireServer.Storage;
using MongoDB.Bson;

namespace EtlFast.WireServer.Commands;

/// <summary>insert, with the documents in a kind-1 "documents" section (what drivers send) or in the body.</summary>
internal static class InsertCommand
{
    public static BsonDocument Run(CommandContext ctx)
    {
        ctx.CheckOptions("documents", "ordered", "bypassDocumentValidation", "txnNumber");
        string name = ctx.CollectionName();
        bool inSequence = ctx.Request.Sequences.TryGetValue("documents", out var sequence);
        bool inBody = ctx.Body.TryGetValue("documents", out var bodyDocs);
        if (inSequence == inBody)
        {
            throw CommandException.BadValue(inSequence
                ? "insert has 'documents' both in the body and in a document sequence"
                : "insert needs 'documents'");
        }
        bool ordered = !ctx.Body.TryGetValue("ordered", out var o) || o.ToBoolean();
        var collection = ctx.Server.Store.GetOrCreate(ctx.Database, name);
        int count = inSequence ? sequence!.Count : bodyDocs!.AsBsonArray.Count;
        int inserted = 0;
        var errors = new BsonArray();
        for (int i = 0; i < count; i++)
        {
            StoredDocument doc;
            try
            {
                doc = inSequence ? StoredDocument.FromBytes(sequence![i]) : StoredDocument.FromDocument(bodyDocs!.AsBsonArray[i].AsBsonDocument);
            }
            catch (CommandException e)
            {
                errors.Add(new BsonDocument { { "index", i }, { "code", e.Code }, { "errmsg", e.Message } });
                if (ordered)
                {
                    break;
                }
                continue;
            }
            if (Insert(ctx, collection, doc))
            {
                inserted++;
                continue;
            }
            errors.Add(new BsonDocument
            {
                { "index", i },
                { "code", 11000 },
                { "keyPattern", new BsonDocument("_id", 1) },
                { "keyValue", new BsonDocument("_id", doc.Id) },
                { "errmsg", $"E11000 duplicate key error collection: {collection.Namespace} index: _id_ dup key: {{ _id: {doc.Id} }}" },
            });
            if (ordered)
            {
                break;
            }
        }
        var reply = new BsonDocument("n", inserted);
        if (errors.Count > 0)
        {
            reply.Add("writeErrors", errors);
        }
        reply.Add("ok", 1.0);
        return reply;
    }

    private static bool Insert(CommandContext ctx, StoredCollection collection, StoredDocument doc)
    {
        lock (ctx.Server.Oplog.WriteGate)
        {
            if (!collection.TryInsert(doc))
            {
                return false;
            }
            ctx.Server.Oplog.Append(ctx.Database, collection.Name, "insert", new BsonDocument("_id", doc.Id), doc.Bytes);
            return true;
        }
    }
}
