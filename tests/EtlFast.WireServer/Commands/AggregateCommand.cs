using EtlFast.WireServer.Query;
using MongoDB.Bson;

namespace EtlFast.WireServer.Commands;

/// <summary>aggregate on a collection, answered with a cursor like find; a $changeStream pipeline opens a change stream.</summary>
internal static class AggregateCommand
{
    public static byte[] Run(CommandContext ctx)
    {
        ctx.CheckOptions("pipeline", "cursor", "allowDiskUse", "hint", "bypassDocumentValidation");
        if (!ctx.Body[0].IsString)
        {
            throw CommandException.NotImplemented($"database-level aggregate ({{aggregate: {ctx.Body[0]}}})");
        }
        string name = ctx.CollectionName();
        if (!ctx.Body.TryGetValue("pipeline", out var p) || p is not BsonArray pipeline)
        {
            throw new CommandException(14, "TypeMismatch", "aggregate needs an array 'pipeline'");
        }
        if (ChangeStreams.IsChangeStream(pipeline))
        {
            return ChangeStreams.Open(ctx, name, pipeline);
        }
        QueryRunner.CheckHint(ctx);
        int? batchSize = QueryRunner.CursorBatchSize(ctx, required: true);
        var results = Pipeline.Run(ctx.Server.Store.Find(ctx.Database, name), pipeline, ctx.Server.Random);
        return QueryRunner.FirstBatch(ctx, QueryRunner.Namespace(ctx, name), results, Projection.Compile(null, ""), batchSize, singleBatch: false, countsForFaults: true);
    }
}
