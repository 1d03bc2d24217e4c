using EtlFast.WireServer.Query;
using MongoDB.Bson;

namespace EtlFast.WireServer.Commands;

/// <summary>listCollections, listDatabases, listIndexes, create, drop, dropDatabase.</summary>
internal static class CatalogCommands
{
    private static BsonDocument IdIndex() => new() { { "v", 2 }, { "key", new BsonDocument("_id", 1) }, { "name", "_id_" } };

    public static byte[] ListCollections(CommandContext ctx)
    {
        ctx.CheckOptions("filter", "nameOnly", "authorizedCollections", "cursor");
        var filter = Filter.Compile(ctx.Document("filter"));
        bool nameOnly = ctx.Flag("nameOnly");
        int? batchSize = QueryRunner.CursorBatchSize(ctx, required: false);
        var results = new List<DocView>();
        foreach (var c in ctx.Server.Store.Collections(ctx.Database))
        {
            var info = nameOnly
                ? new BsonDocument { { "name", c.Name }, { "type", "collection" } }
                : new BsonDocument
                {
                    { "name", c.Name },
                    { "type", "collection" },
                    { "options", new BsonDocument() },
                    { "info", new BsonDocument { { "readOnly", false }, { "uuid", new BsonBinaryData(c.Uuid, GuidRepresentation.Standard) } } },
                    { "idIndex", IdIndex() },
                };
            var view = DocView.Of(info);
            if (filter.Matches(view))
            {
                results.Add(view);
            }
        }
        return QueryRunner.FirstBatch(ctx, ctx.Database + ".$cmd.listCollections", results, Projection.Compile(null, ""), batchSize, singleBatch: false, countsForFaults: false);
    }

    public static byte[] ListIndexes(CommandContext ctx)
    {
        ctx.CheckOptions("cursor");
        string name = ctx.CollectionName();
        if (ctx.Server.Store.Find(ctx.Database, name) is null)
        {
            throw new CommandException(26, "NamespaceNotFound", $"ns does not exist: {ctx.Database}.{name}");
        }
        int? batchSize = QueryRunner.CursorBatchSize(ctx, required: false);
        return QueryRunner.FirstBatch(ctx, $"{ctx.Database}.$cmd.listIndexes.{name}", [DocView.Of(IdIndex())], Projection.Compile(null, ""), batchSize, singleBatch: false, countsForFaults: false);
    }

    public static BsonDocument ListDatabases(CommandContext ctx)
    {
        ctx.CheckOptions("filter", "nameOnly", "authorizedDatabases");
        var filter = Filter.Compile(ctx.Document("filter"));
        bool nameOnly = ctx.Flag("nameOnly");
        var databases = new BsonArray();
        long total = 0;
        foreach (var name in ctx.Server.Store.Databases())
        {
            long size = 0;
            foreach (var c in ctx.Server.Store.Collections(name))
            {
                size += c.TotalBytes;
            }
            var entry = nameOnly
                ? new BsonDocument("name", name)
                : new BsonDocument { { "name", name }, { "sizeOnDisk", size }, { "empty", size == 0 } };
            if (filter.Matches(DocView.Of(entry)))
            {
                databases.Add(entry);
                total += size;
            }
        }
        var reply = new BsonDocument("databases", databases);
        if (!nameOnly)
        {
            reply.Add("totalSize", total);
            reply.Add("totalSizeMb", total / (1024 * 1024));
        }
        reply.Add("ok", 1.0);
        return reply;
    }

    public static BsonDocument Create(CommandContext ctx)
    {
        ctx.CheckOptions();
        string name = ctx.CollectionName();
        if (!ctx.Server.Store.TryCreate(ctx.Database, name))
        {
            throw new CommandException(48, "NamespaceExists", $"Collection {ctx.Database}.{name} already exists.");
        }
        return new BsonDocument("ok", 1.0);
    }

    public static BsonDocument Drop(CommandContext ctx)
    {
        ctx.CheckOptions();
        string name = ctx.CollectionName();
        // Since 7.0 dropping a missing collection succeeds.
        lock (ctx.Server.Oplog.WriteGate)
        {
            if (ctx.Server.Store.Drop(ctx.Database, name))
            {
                ctx.Server.Oplog.Append(ctx.Database, name, "drop", null);
            }
        }
        return new BsonDocument { { "nIndexesWas", 1 }, { "ns", ctx.Database + "." + name }, { "ok", 1.0 } };
    }

    public static BsonDocument DropDatabase(CommandContext ctx)
    {
        ctx.CheckOptions();
        lock (ctx.Server.Oplog.WriteGate)
        {
            foreach (var collection in ctx.Server.Store.Collections(ctx.Database))
            {
                ctx.Server.Store.Drop(ctx.Database, collection.Name);
                ctx.Server.Oplog.Append(ctx.Database, collection.Name, "drop", null);
            }
            ctx.Server.Oplog.Append(ctx.Database, null, "dropDatabase", null);
        }
        return new BsonDocument { { "dropped", ctx.Database }, { "ok", 1.0 } };
    }
}
