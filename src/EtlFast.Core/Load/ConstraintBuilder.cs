using System.Collections.Concurrent;
using System.Diagnostics;
using EtlFast.Core.Constraints;
using EtlFast.Core.Plan;
using Npgsql;

namespace EtlFast.Core.Load;

/// <summary>The keys of one load to build: its plan, options, checkpoint identity and observer.</summary>
internal sealed record KeyTarget(LoadPlan Plan, LoadOptions Options, string? RunId, ILoadObserver Observer);

/// <summary>
/// Builds the keys, unique indexes, foreign keys and indexes after the data, wave by wave, each wave's
/// statements in parallel on up to --jobs connections. Given several loads (the collections of a whole
/// database), each wave holds the statements of all of them: every key is built before any foreign key
/// that may reference it, and small collections' statements fill the connections a large one leaves idle.
/// A statement that fails for a reason of the server or the connection runs again (<see cref="PgRetry"/>);
/// a key refused for a duplicate is settled by <see cref="DuplicateKeys"/> of its load.
/// </summary>
internal sealed class ConstraintBuilder(IReadOnlyList<KeyTarget> targets, PgSteps steps, CancellationToken stop)
{
    private static readonly string[] WaveNames = ["primary keys", "unique indexes", "foreign keys", "indexes"];

    /// <summary>One statement and the target (index into the targets) it belongs to.</summary>
    private readonly record struct Statement(int Target, string Sql);

    private readonly CancellationTokenSource _cancel = CancellationTokenSource.CreateLinkedTokenSource(stop);
    private readonly LoadOptions _options = targets[0].Options;
    private readonly ILoadObserver _observer = targets[0].Observer;
    private readonly long[] _ticks = new long[targets.Count];
    private int _failedTarget = -1;

    /// <summary>Keys are being built again after duplicates were rejected: those built before count as done.</summary>
    private bool _keysRebuilt;

    /// <summary>The target whose statement failed the build, when <see cref="Build"/> threw for one.</summary>
    public int? FailedTarget => _failedTarget >= 0 ? _failedTarget : null;

    /// <summary>Seconds the statements of target <paramref name="target"/> ran, summed (they overlap other targets').</summary>
    public double Seconds(int target) => TimeSpan.FromTicks(Volatile.Read(ref _ticks[target])).TotalSeconds;

    public void Build()
    {
        var waves = targets.Select(t => SchemaBuilder.ConstraintWaves(t.Plan, includeKeys: true)).ToList();
        for (int i = 0; i < WaveNames.Length; i++)
        {
            Statement[] wave = [.. waves.SelectMany((w, t) => w[i].Select(sql => new Statement(t, sql)))];
            if (wave.Length > 0)
            {
                _observer.Phase($"building {WaveNames[i]} ({wave.Length})");
                if (i < 2)
                {
                    BuildKeys(i, wave);
                }
                else
                {
                    RunParallel(wave);
                }
            }
        }
    }

    /// <summary>
    /// Primary keys (wave 0) or unique indexes (wave 1). Those refused for a duplicate (23505) are
    /// settled by <see cref="DuplicateKeys"/> once the others are built: it stops naming the documents
    /// that carry it, or rejects the repeats; then they are built again.
    /// </summary>
    private void BuildKeys(int wave, IReadOnlyList<Statement> statements)
    {
        var refused = new ConcurrentQueue<(Statement Statement, LoadException Error)>();
        RunParallel(statements, refused);
        for (int pass = 0; !refused.IsEmpty; pass++)
        {
            (Statement Statement, LoadException Error)[] failed = refused.ToArray();
            foreach (var byTarget in failed.GroupBy(f => f.Statement.Target))
            {
                KeyTarget target = targets[byTarget.Key];
                string[] tables = [.. byTarget.Select(f => ((PostgresException)f.Error.InnerException!).TableName ?? "")];
                var duplicates = new DuplicateKeys(target.Plan, target.Options, target.RunId, target.Observer, _cancel.Token);
                bool settled = false;
                try
                {
                    using NpgsqlConnection conn = steps.Open();
                    // A second refusal after rejecting means the source no longer matches the tables: stop, naming what is left.
                    steps.Run(() => settled = duplicates.Settle(conn, wave, tables, rejectAllowed: pass == 0), "finding the documents that repeat a key");
                }
                catch (Exception)
                {
                    Blame(byTarget.Key); // its duplicates stopped the build
                    throw;
                }
                if (!settled)
                {
                    Blame(byTarget.Key);
                    throw byTarget.First().Error; // no duplicate found behind it: PostgreSQL's own refusal
                }
            }
            _keysRebuilt = true;
            refused.Clear();
            RunParallel([.. failed.Select(f => f.Statement)], refused);
        }
    }

    private void RunParallel(IReadOnlyList<Statement> statements, ConcurrentQueue<(Statement Statement, LoadException Error)>? duplicates = null)
    {
        int next = -1;
        var failure = new FirstFailure(_cancel);
        var threads = new Thread[Math.Min(_options.Jobs, statements.Count)];
        for (int i = 0; i < threads.Length; i++)
        {
            threads[i] = new Thread(() => failure.Guard(() =>
            {
                NpgsqlConnection? conn = null;
                try
                {
                    int k;
                    while (!_cancel.IsCancellationRequested && (k = Interlocked.Increment(ref next)) < statements.Count)
                    {
                        long started = Stopwatch.GetTimestamp();
                        try
                        {
                            ExecuteWithRetry(ref conn, statements[k].Sql);
                        }
                        catch (LoadException e) when (duplicates is not null && e.InnerException is PostgresException { SqlState: "23505" })
                        {
                            duplicates.Enqueue((statements[k], e)); // settled by BuildKeys once the others are built
                        }
                        catch (Exception)
                        {
                            Blame(statements[k].Target); // the first to fail names the collection in the error
                            throw;
                        }
                        finally
                        {
                            Interlocked.Add(ref _ticks[statements[k].Target], Stopwatch.GetElapsedTime(started).Ticks);
                        }
                    }
                }
                finally
                {
                    conn?.Dispose();
                }
            })) { IsBackground = true };
            threads[i].Start();
        }
        foreach (Thread t in threads)
        {
            t.Join();
        }
        failure.ThrowIfFailed(steps, stop);
    }

    private void Blame(int target) => Interlocked.CompareExchange(ref _failedTarget, target, -1);

    /// <summary>
    /// One key, foreign key or index statement. A fault of the server or the connection (a terminated
    /// backend, a restart) rolled the statement back, so it runs again on a new connection after a bounded
    /// backoff, as a chunk would; "already exists" on a retry, or on resuming, means it had been built.
    /// </summary>
    private void ExecuteWithRetry(ref NpgsqlConnection? conn, string sql)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                conn ??= steps.Open();
                NpgsqlConnection c = conn;
                bool again = attempt > 1 || _options.Resume || _keysRebuilt;
                steps.Run(() =>
                {
                    try
                    {
                        SchemaBuilder.Execute(c, sql);
                    }
                    catch (PostgresException e) when (again && e.SqlState is "42P16" or "42710" or "42P07")
                    {
                        // built by the attempt (or the interrupted run) before this one
                    }
                }, sql);
                return;
            }
            catch (LoadException e) when (PgFaults.IsRetryable(PgFaults.Classify(e)) && attempt < PgRetry.MaxAttempts && !_cancel.IsCancellationRequested)
            {
                _observer.Phase($"{PgSteps.Shorten(sql)} failed: {steps.Redact((e.InnerException ?? e).Message).ReplaceLineEndings(" ")}; retrying in {PgRetry.Backoff(attempt).TotalSeconds:N1} s ({attempt}/{PgRetry.MaxAttempts - 1})");
                conn?.Dispose();
                conn = null;
                PgRetry.Wait(attempt, _cancel.Token);
            }
        }
    }
}
