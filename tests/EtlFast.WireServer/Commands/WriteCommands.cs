using EtlFast.WireServer.Query;
using EtlFast.WireServer.Storage;
using MongoDB.Bson;

namespace EtlFast.WireServer.Commands;

/// <summary>
/// update and delete, with their statements in a kind-1 section (what drivers send) or in the body. Each
/// change goes into the oplog with the store change, under its write gate, so change streams see it.
/// </summary>
internal static class WriteCommands
{
    public static BsonDocument Update(CommandContext ctx)
    {
        ctx.CheckOptions("updates", "ordered", "bypassDocumentValidation");
        string name = ctx.CollectionName();
        var collection = ctx.Server.Store.GetOrCreate(ctx.Database, name);
        long matched = 0, modified = 0;
        var upserted = new BsonArray();
        var errors = new BsonArray();
        List<BsonDocument> statements = Statements(ctx, "updates");
        for (int i = 0; i < statements.Count; i++)
        {
            try
            {
                (long m, long n, BsonValue? newId) = UpdateOne(ctx, collection, statements[i]);
                matched += m;
                modified += n;
                if (newId is not null)
                {
                    upserted.Add(new BsonDocument { { "index", i }, { "_id", newId } });
                }
            }
            catch (CommandException e) when (e.Code != CommandException.NotSupportedCode)
            {
                errors.Add(new BsonDocument { { "index", i }, { "code", e.Code }, { "errmsg", e.Message } });
                if (Ordered(ctx))
                {
                    break;
                }
            }
        }
        var reply = new BsonDocument { { "n", matched + upserted.Count }, { "nModified", modified } };
        if (upserted.Count > 0)
        {
            reply.Add("upserted", upserted);
        }
        return Finish(reply, errors);
    }

    public static BsonDocument Delete(CommandContext ctx)
    {
        ctx.CheckOptions("deletes", "ordered");
        string name = ctx.CollectionName();
        var collection = ctx.Server.Store.Find(ctx.Database, name);
        long deleted = 0;
        foreach (BsonDocument statement in Statements(ctx, "deletes"))
        {
            CheckFields(statement, "delete", "q", "limit", "hint");
            long limit = statement.TryGetValue("limit", out var l) ? l.ToInt64() : throw new CommandException(9, "FailedToParse", "delete statement needs 'limit'");
            if (limit is not (0 or 1))
            {
                throw CommandException.BadValue($"The limit field in delete objects must be 0 or 1. Got {limit}");
            }
            foreach (DocView match in Matches(collection, statement, multi: limit == 0))
            {
                BsonValue id = match.GetOrNull("_id");
                lock (ctx.Server.Oplog.WriteGate)
                {
                    if (collection!.Delete(id))
                    {
                        deleted++;
                        ctx.Server.Oplog.Append(ctx.Database, name, "delete", new BsonDocument("_id", id));
                    }
                }
            }
        }
        return Finish(new BsonDocument("n", deleted), []);
    }

    private static (long Matched, long Modified, BsonValue? Upserted) UpdateOne(CommandContext ctx, StoredCollection collection, BsonDocument statement)
    {
        CheckFields(statement, "update", "q", "u", "multi", "upsert", "hint");
        if (!statement.TryGetValue("u", out var u) || u is not BsonDocument update)
        {
            throw statement.Contains("u") && statement["u"] is BsonArray
                ? CommandException.NotImplemented("update with an aggregation pipeline")
                : new CommandException(9, "FailedToParse", "update statement needs a document 'u'");
        }
        bool multi = statement.GetValue("multi", false).ToBoolean();
        bool replacement = UpdateOperators.IsReplacement(update);
        if (multi && replacement)
        {
            throw new CommandException(9, "FailedToParse", "multi update is not supported for replacement-style update");
        }
        long matched = 0, modified = 0;
        foreach (DocView match in Matches(collection, statement, multi))
        {
            matched++;
            BsonValue id = match.GetOrNull("_id");
            lock (ctx.Server.Oplog.WriteGate)
            {
                // Read again under the gate: another connection may have changed it since the match.
                BsonDocument? current = collection.Get(id) is { } was ? BsonDocumentBytes.Parse(was.Bytes) : null;
                if (current is null)
                {
                    continue;
                }
                (BsonDocument next, BsonDocument? description) = replacement
                    ? (UpdateOperators.Replace(id, update), null)
                    : UpdateOperators.Apply(current, update);
                if (next.Equals(current))
                {
                    continue; // a no-op writes no oplog entry, as in mongod
                }
                var stored = StoredDocument.FromDocument(next);
                collection.Replace(stored);
                modified++;
                ctx.Server.Oplog.Append(ctx.Database, collection.Name, replacement ? "replace" : "update", new BsonDocument("_id", id),
                    replacement ? stored.Bytes : null, description);
            }
        }
        if (matched > 0 || !statement.GetValue("upsert", false).ToBoolean())
        {
            return (matched, modified, null);
        }
        return (0, 0, Upsert(ctx, collection, statement["q"].AsBsonDocument, update, replacement));
    }

    /// <summary>An upsert that matched nothing inserts the filter's plain equalities with the update applied.</summary>
    private static BsonValue Upsert(CommandContext ctx, StoredCollection collection, BsonDocument filter, BsonDocument update, bool replacement)
    {
        var seed = new BsonDocument();
        foreach (var field in filter)
        {
            if (field.Name.StartsWith('$') || field.Name.Contains('.', StringComparison.Ordinal) || field.Value is BsonDocument { ElementCount: > 0 } d && d.GetElement(0).Name.StartsWith('$'))
            {
                throw CommandException.NotImplemented($"upsert with the filter {filter} (only plain top-level equalities)");
            }
            seed[field.Name] = field.Value;
        }
        BsonDocument document = replacement
            ? UpdateOperators.Replace(seed.GetValue("_id", update.GetValue("_id", ObjectId.GenerateNewId())), update)
            : UpdateOperators.Apply(seed, update).Document;
        var stored = StoredDocument.FromDocument(document);
        lock (ctx.Server.Oplog.WriteGate)
        {
            if (!collection.TryInsert(stored))
            {
                throw new CommandException(11000, "DuplicateKey", $"E11000 duplicate key error collection: {collection.Namespace} index: _id_ dup key: {{ _id: {stored.Id} }}");
            }
            ctx.Server.Oplog.Append(ctx.Database, collection.Name, "insert", new BsonDocument("_id", stored.Id), stored.Bytes);
        }
        return stored.Id;
    }

    private static List<DocView> Matches(StoredCollection? collection, BsonDocument statement, bool multi)
    {
        var filter = Filter.Compile(statement.TryGetValue("q", out var q) && q is BsonDocument f ? f
            : throw new CommandException(9, "FailedToParse", "a write statement needs a document 'q'"));
        List<DocView> found = QueryRunner.Select(collection, filter);
        if (!multi && found.Count > 1)
        {
            found.RemoveRange(1, found.Count - 1);
        }
        return found;
    }

    private static void CheckFields(BsonDocument statement, string command, params string[] allowed)
    {
        foreach (var element in statement)
        {
            if (Array.IndexOf(allowed, element.Name) < 0)
            {
                throw CommandException.NotImplemented($"field '{element.Name}' of a {command} statement");
            }
        }
        if (statement.TryGetValue("hint", out var hint) && !(hint.IsString && hint.AsString == "_id_") && !(hint is BsonDocument { ElementCount: 0 }))
        {
            throw CommandException.NotImplemented($"hint {hint} of a {command} statement (only the _id index exists)");
        }
    }

    private static List<BsonDocument> Statements(CommandContext ctx, string field)
    {
        bool inSequence = ctx.Request.Sequences.TryGetValue(field, out var sequence);
        bool inBody = ctx.Body.TryGetValue(field, out var body);
        if (inSequence == inBody)
        {
            throw CommandException.BadValue(inSequence ? $"'{field}' both in the body and in a document sequence" : $"{ctx.Name} needs '{field}'");
        }
        var list = new List<BsonDocument>();
        if (inSequence)
        {
            foreach (byte[] bytes in sequence!)
            {
                list.Add(BsonDocumentBytes.Parse(bytes));
            }
        }
        else
        {
            foreach (BsonValue v in body!.AsBsonArray)
            {
                list.Add(v.AsBsonDocument);
            }
        }
        return list;
    }

    private static bool Ordered(CommandContext ctx) => !ctx.Body.TryGetValue("ordered", out var o) || o.ToBoolean();

    private static BsonDocument Finish(BsonDocument reply, BsonArray errors)
    {
        if (errors.Count > 0)
        {
            reply.Add("writeErrors", errors);
        }
        reply.Add("ok", 1.0);
        return reply;
    }
}
