using System.Diagnostics;
using System.Net.Sockets;
using EtlFast.Core.Load;
using EtlFast.Core.Plan;
using EtlFast.Core.Sources;
using MongoDB.Bson;
using MongoDB.Driver;
using Npgsql;

namespace EtlFast.Core.Sync;

/// <summary>How a sync follows: how long a batch waits for changes, how many a batch takes, and when to stop.</summary>
/// <param name="UntilCaughtUp">Stop (successfully) once a wait of <paramref name="MaxAwait"/> brings no change, i.e. the lag is under it; null: follow until cancelled.</param>
public sealed record SyncOptions(bool UntilCaughtUp, TimeSpan MaxAwait, int BatchSize = 1000);

/// <summary>What a sync did: the snapshot's summary (when it ran one) and the changes it applied.</summary>
public sealed class SyncSummary
{
    public LoadSummary? Snapshot { get; set; }
    public long Events { get; set; }
    public long Documents { get; set; }
    public long Batches { get; set; }
    public required long[] Inserted { get; init; }
    public required long[] Deleted { get; init; }
    public bool CaughtUp { get; set; }
    /// <summary>Seconds between the last applied change and the moment it was applied (from the server's wall time), when known.</summary>
    public double? LagSeconds { get; set; }
    public double Seconds { get; set; }
}

/// <summary>Progress of a sync, for the terminal and for machines.</summary>
public interface ISyncObserver
{
    void Phase(string what);

    /// <summary>A batch committed (also an empty one: the position moved on).</summary>
    void BatchApplied(SyncSummary soFar, int events);
}

/// <summary>
/// <c>etlfast sync</c>: the snapshot (the existing load, resumable), then the collection's change
/// stream applied batch by batch. The stream position is taken before the snapshot reads anything and
/// stored in the target, then every batch moves it in the same transaction as its rows, so no change
/// is lost or applied twice across crashes: a change the snapshot already saw is applied again harmlessly.
/// </summary>
public sealed class Syncer(LoadPlan plan, LoadOptions options, ILoadObserver loadObserver, ISyncObserver observer, CancellationToken cancel)
{
    public SyncSummary Run(SyncOptions sync)
    {
        ArgumentNullException.ThrowIfNull(sync);
        if (!MongoSource.IsMongoUri(options.From))
        {
            throw new LoadException(FailureKind.Usage, $"etlfast sync follows a live collection's change stream; \"{options.From}\" is not a mongodb:// URI",
                hint: "give --from mongodb://HOST/DB (a replica set or sharded cluster); to load a dump once, use etlfast load");
        }
        var clock = Stopwatch.StartNew();
        var summary = new SyncSummary { Inserted = new long[plan.Tables.Length], Deleted = new long[plan.Tables.Length] };
        using var applier = new ChangeApplier(plan, plan.Mapping.Collection); // refuses a mapping it cannot follow, before anything runs
        string syncId = Checkpoints.RunId(Checkpoints.SourceIdentity(options, plan.Mapping)!, options.MappingText, plan.Schema, options.ChunkBytes);
        using var steps = new PgSteps(options.Target, options.IoTimeout);
        string database = options.Database ?? plan.Mapping.Database
            ?? throw new LoadException(FailureKind.Usage, "which database? the mapping names none", hint: "give -d/--db, or \"database\" in the mapping");
        string collectionName = options.Collection ?? plan.Mapping.Collection;
        var replies = new ChangeStreamReplies();
        (MongoClient client, string hosts, string? password) = MongoSource.ConnectClient(options.From, database, cancel, replies.Configure);
        using (client)
        {
            string display = $"mongodb://{hosts}/{database}.{collectionName}";
            IMongoCollection<RawBsonDocument> collection = client.GetDatabase(database).GetCollection<RawBsonDocument>(collectionName);
            NpgsqlConnection conn = steps.OpenForChunks();
            try
            {
                RunOn(ref conn, collection, replies, display, password, applier, steps, syncId, sync, summary);
            }
            catch (Exception e) when (e is NpgsqlException or SocketException or IOException)
            {
                throw steps.Translate(e);
            }
            finally
            {
                conn.Dispose();
            }
        }
        summary.Seconds = clock.Elapsed.TotalSeconds;
        return summary;
    }

    private void RunOn(ref NpgsqlConnection conn, IMongoCollection<RawBsonDocument> collection, ChangeStreamReplies replies, string display, string? password, ChangeApplier applier,
        PgSteps steps, string syncId, SyncOptions sync, SyncSummary summary)
    {
        SyncPositions.EnsureTable(conn);
        // --mode clean starts over: a new position, then a new snapshot (what a lost history needs).
        SyncPositions.Position? stored = options.Mode == LoadMode.Clean ? null : SyncPositions.Read(conn, syncId);
        if (stored is null)
        {
            // The position comes first: every change from here on is in the stream, whatever the snapshot sees.
            using (ChangeStreamReader start = ChangeStreamReader.Open(collection, replies, display, password, null, sync.MaxAwait, sync.BatchSize, cancel))
            {
                using NpgsqlTransaction tx = conn.BeginTransaction();
                SyncPositions.Write(conn, syncId, start.ResumeToken, 0, 0);
                tx.Commit();
            }
            observer.Phase($"sync: change stream position taken; snapshot of {display}");
            summary.Snapshot = new Loader(plan, options, loadObserver, cancel).Run();
        }
        else
        {
            // A snapshot cut short continues; one that finished says so and nothing is read again.
            summary.Snapshot = new Loader(plan, options with { Resume = true }, loadObserver, cancel).Run();
        }
        stored = SyncPositions.Read(conn, syncId)!;
        applier.Prepare(conn);
        ChangeStreamReader reader;
        try
        {
            reader = ChangeStreamReader.Open(collection, replies, display, password, stored.ResumeToken, sync.MaxAwait, sync.BatchSize, cancel);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            return; // stopped on request once the snapshot was whole: the stored position is where the next run follows from
        }
        using (reader)
        {
            observer.Phase($"sync: following the change stream of {display} ({stored.Applied:N0} changes applied before)");
            Follow(reader, applier, ref conn, steps, syncId, sync, summary);
        }
    }

    private void Follow(ChangeStreamReader reader, ChangeApplier applier, ref NpgsqlConnection conn, PgSteps steps, string syncId, SyncOptions sync, SyncSummary summary)
    {
        var batch = new ChangeBatch();
        while (!cancel.IsCancellationRequested)
        {
            try
            {
                reader.Next(batch, cancel);
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                return; // stopped on request, between batches: the stored position is the last batch's
            }
            ChangeApplier.Applied applied = ApplyWithRetry(applier, ref conn, steps, batch, syncId, reader);
            for (int t = 0; t < applied.Inserted.Length; t++)
            {
                summary.Inserted[t] += applied.Inserted[t];
                summary.Deleted[t] += applied.Deleted[t];
            }
            summary.Events += batch.Events;
            summary.Documents += batch.Count;
            summary.Batches++;
            if (batch.Events > 0 && reader.LastWallTime is { } wall)
            {
                summary.LagSeconds = Math.Max(0, (DateTime.UtcNow - wall.ToUniversalTime()).TotalSeconds);
            }
            observer.BatchApplied(summary, batch.Events);
            if (sync.UntilCaughtUp && reader.WaitedInVain)
            {
                summary.CaughtUp = true; // a whole wait brought nothing: every change made before it is applied
                return;
            }
        }
    }

    /// <summary>A batch whose transaction failed for the server's or the network's reasons rolled back whole: it is applied again on a new connection.</summary>
    private ChangeApplier.Applied ApplyWithRetry(ChangeApplier applier, ref NpgsqlConnection conn, PgSteps steps, ChangeBatch batch, string syncId, ChangeStreamReader reader)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return applier.Apply(conn, batch, syncId, reader.ResumeToken, reader.LastClusterTime);
            }
            catch (Exception e) when (attempt < PgRetry.MaxAttempts && PgFaults.Classify(e) is PgFault.Transient or PgFault.Stalled)
            {
                observer.Phase($"sync: applying a batch of {batch.Events:N0} changes failed ({steps.Redact(e.Message).ReplaceLineEndings(" ")}); retrying on a new connection ({attempt}/{PgRetry.MaxAttempts - 1})");
                conn.Dispose();
                PgRetry.Wait(attempt, cancel);
                conn = steps.OpenForChunks();
                applier.Prepare(conn);
            }
            catch (Exception e) when (e is NpgsqlException or SocketException or IOException)
            {
                throw steps.Translate(e); // the batch rolled back: the next run applies it again
            }
        }
    }
}
