using EtlFast.Core.Load;
using EtlFast.Core.Plan;

namespace EtlFast.Core.Sources;

/// <summary>Opens the chunk source that <c>--from</c> names: a live MongoDB, or a file, dump directory or stdin.</summary>
public static class SourceFactory
{
    public static IChunkSource Open(LoadPlan plan, LoadOptions options, CancellationToken cancel)
    {
        string collection = options.Collection ?? plan.Mapping.Collection;
        if (MongoSource.IsMongoUri(options.From))
        {
            string database = LiveDatabase(plan, options);
            MongoDB.Bson.BsonDocument? filter = null;
            if (options.Query is not null)
            {
                try
                {
                    filter = MongoDB.Bson.BsonDocument.Parse(options.Query);
                }
                catch (Exception e) when (e is FormatException or MongoDB.Bson.BsonException or InvalidOperationException)
                {
                    throw new LoadException(FailureKind.Usage, $"--query is not an Extended JSON document: {e.Message}", hint: "for example --query '{\"age\": {\"$gte\": 21}}'");
                }
            }
            return MongoSource.Open(options.From, database, collection, filter, options.BatchSize, options.ChunkBytes, cancel, readers: options.Jobs, partition: options.Partition, ioTimeout: options.IoTimeout);
        }
        OpenedSource file = SourceOpener.Open(options.From, options.Database ?? plan.Mapping.Database, collection, options.OpenStdin, SourceOpener.LoadDatabaseHint);
        return new StreamChunker(file.Stream, file.DisplayName, options.ChunkBytes) { Meter = file.Meter };
    }

    /// <summary>The database a live source reads: -d/--db, else the mapping's, else the connection string's.</summary>
    public static string LiveDatabase(LoadPlan plan, LoadOptions options)
    {
        string? database = options.Database ?? plan.Mapping.Database ?? MongoDB.Driver.MongoUrl.Create(options.From).DatabaseName;
        if (string.IsNullOrEmpty(database))
        {
            throw new LoadException(FailureKind.Usage, "no MongoDB database to read from",
                "neither -d/--db, the mapping's \"database\" nor the connection string names one", "pass -d/--db NAME");
        }
        return database;
    }
}
