using EtlFast.Bson;
using EtlFast.Core.Engine;
using EtlFast.Core.Plan;
using EtlFast.Core.Sources;

namespace EtlFast.Core.Load;

/// <summary>One collection of a whole-database run: its namespace, compiled mapping and load options.</summary>
/// <param name="Bytes">The size of its source when known (a dump file's), to load the largest first.</param>
public sealed record CollectionLoad(string Namespace, LoadPlan Plan, LoadOptions Options, long? Bytes);

/// <summary>
/// A whole-database run: every collection's data, then the keys, foreign keys and indexes of all
/// collections together, wave by wave (<see cref="ConstraintBuilder"/>), so that a foreign key from one
/// collection's table to another's finds the other's key built and the builds of small collections run
/// beside a large one's. The data goes largest first (each collection with all the workers, its chunks
/// committed with their checkpoints, resumable, as a single load's). A collection that fails stops the
/// run naming it; what was committed stays, and the same command with --resume continues every
/// collection where it stopped. <paramref name="keyOrder"/> lists referenced collections first.
/// </summary>
public sealed class DatabaseLoad(IReadOnlyList<CollectionLoad> keyOrder, Func<CollectionLoad, ILoadObserver> observe, CancellationToken cancel)
{
    /// <summary>Each collection's summary, in key order; complete after <see cref="Run"/>, partial when it threw.</summary>
    public IReadOnlyList<LoadSummary> Summaries => _summaries;

    private readonly List<LoadSummary> _summaries = [.. keyOrder.Select(_ => new LoadSummary { Tables = [] })];

    /// <summary>Wall seconds of building every collection's keys, foreign keys and indexes (they run together).</summary>
    public double ConstraintSeconds { get; private set; }

    /// <summary>Runs every collection; <paramref name="loaded"/> is told of each one as its data is in.</summary>
    public void Run(Action<CollectionLoad, LoadSummary>? loaded = null)
    {
        // Largest first: a big collection's chunks never wait behind many small ones at the end. With the
        // constraints created before the data, a referenced collection's rows must be in first.
        IEnumerable<int> dataOrder = keyOrder.Any(c => c.Options.Constraints == ConstraintTiming.Before)
            ? Enumerable.Range(0, keyOrder.Count)
            : Enumerable.Range(0, keyOrder.Count).OrderByDescending(i => keyOrder[i].Bytes ?? -1);
        var loaders = new Loader?[keyOrder.Count];
        try
        {
            foreach (int i in dataOrder)
            {
                CollectionLoad c = keyOrder[i];
                loaders[i] = new Loader(c.Plan, c.Options with { DeferKeys = true }, observe(c), cancel);
                Named(c, () => _summaries[i] = loaders[i]!.Run());
                loaded?.Invoke(c, _summaries[i]);
            }
            double[] keySeconds = BuildKeys(loaders!);
            for (int i = 0; i < keyOrder.Count; i++)
            {
                Named(keyOrder[i], () => loaders[i]!.FinishDeferred(keySeconds[i]));
                _summaries[i] = loaders[i]!.Summary;
            }
        }
        finally
        {
            foreach (Loader? l in loaders)
            {
                l?.Dispose();
            }
        }
    }

    /// <summary>
    /// Every collection's deferred keys in one build; a failure is named with the collection of the statement
    /// that failed. Returns the seconds each collection's statements ran (0 for one with none to build).
    /// </summary>
    private double[] BuildKeys(Loader[] loaders)
    {
        var seconds = new double[loaders.Length];
        var deferred = Enumerable.Range(0, loaders.Length)
            .Select(i => (Index: i, Keys: loaders[i].DeferredKeys))
            .Where(d => d.Keys is not null)
            .ToList();
        if (deferred.Count == 0)
        {
            return seconds;
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var builder = new ConstraintBuilder([.. deferred.Select(d => d.Keys!.Value.Target)], deferred[0].Keys!.Value.Steps, cancel);
        try
        {
            builder.Build();
        }
        catch (Exception e) when (e is LoadException or DataException or SourceException or BsonException)
        {
            throw new CollectionLoadException(keyOrder[deferred[builder.FailedTarget ?? 0].Index].Namespace, e);
        }
        finally
        {
            ConstraintSeconds = clock.Elapsed.TotalSeconds;
        }
        for (int t = 0; t < deferred.Count; t++)
        {
            seconds[deferred[t].Index] = builder.Seconds(t);
        }
        return seconds;
    }

    /// <summary>Runs a step of one collection; a failure that ends it is thrown again with the collection's name.</summary>
    private static void Named(CollectionLoad c, Action step)
    {
        try
        {
            step();
        }
        catch (Exception e) when (e is LoadException or DataException or SourceException or BsonException)
        {
            throw new CollectionLoadException(c.Namespace, e);
        }
    }
}

/// <summary>The failure of one collection of a whole-database run: its namespace, and the load's own error as the inner exception.</summary>
public sealed class CollectionLoadException(string ns, Exception inner) : Exception($"collection {ns}: {inner.Message}", inner)
{
    public string Namespace { get; } = ns;
}
