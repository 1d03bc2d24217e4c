using System.Collections.Concurrent;
using EtlFast.Core.Constraints;
using EtlFast.Core.Plan;
using Npgsql;

namespace EtlFast.Core.Load;

/// <summary>
/// Builds the keys, unique indexes, foreign keys and indexes after the data, wave by wave, each wave's
/// statements in parallel on up to --jobs connections. A statement that fails for a reason of the
/// server or the connection runs again (<see cref="PgRetry"/>); a key refused for a duplicate is
/// settled by <see cref="DuplicateKeys"/>.
/// </summary>
internal sealed class ConstraintBuilder(LoadPlan plan, LoadOptions options, string? runId, ILoadObserver observer, PgSteps steps, CancellationToken stop)
{
    private static readonly string[] WaveNames = ["primary keys", "unique indexes", "foreign keys", "indexes"];

    private readonly CancellationTokenSource _cancel = CancellationTokenSource.CreateLinkedTokenSource(stop);

    /// <summary>Keys are being built again after duplicates were rejected: those built before count as done.</summary>
    private bool _keysRebuilt;

    public void Build()
    {
        IReadOnlyList<IReadOnlyList<string>> waves = SchemaBuilder.ConstraintWaves(plan, includeKeys: true);
        for (int i = 0; i < waves.Count; i++)
        {
            if (waves[i].Count > 0)
            {
                observer.Phase($"building {WaveNames[i]} ({waves[i].Count})");
                if (i < 2)
                {
                    BuildKeys(i, waves[i]);
                }
                else
                {
                    RunParallel(waves[i]);
                }
            }
        }
    }

    /// <summary>
    /// Primary keys (wave 0) or unique indexes (wave 1). Those refused for a duplicate (23505) are
    /// settled by <see cref="DuplicateKeys"/> once the others are built: it stops naming the documents
    /// that carry it, or rejects the repeats; then they are built again.
    /// </summary>
    private void BuildKeys(int wave, IReadOnlyList<string> statements)
    {
        var refused = new ConcurrentQueue<(string Sql, LoadException Error)>();
        RunParallel(statements, refused);
        for (int pass = 0; !refused.IsEmpty; pass++)
        {
            (string Sql, LoadException Error)[] failed = refused.ToArray();
            string[] tables = [.. failed.Select(f => ((PostgresException)f.Error.InnerException!).TableName ?? "")];
            var duplicates = new DuplicateKeys(plan, options, runId, observer, _cancel.Token);
            bool settled = false;
            using (NpgsqlConnection conn = steps.Open())
            {
                // A second refusal after rejecting means the source no longer matches the tables: stop, naming what is left.
                steps.Run(() => settled = duplicates.Settle(conn, wave, tables, rejectAllowed: pass == 0), "finding the documents that repeat a key");
            }
            if (!settled)
            {
                throw failed[0].Error; // no duplicate found behind it: PostgreSQL's own refusal
            }
            _keysRebuilt = true;
            refused.Clear();
            RunParallel([.. failed.Select(f => f.Sql)], refused);
        }
    }

    private void RunParallel(IReadOnlyList<string> statements, ConcurrentQueue<(string Sql, LoadException Error)>? duplicates = null)
    {
        int next = -1;
        var failure = new FirstFailure(_cancel);
        var threads = new Thread[Math.Min(options.Jobs, statements.Count)];
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
                        try
                        {
                            ExecuteWithRetry(ref conn, statements[k]);
                        }
                        catch (LoadException e) when (duplicates is not null && e.InnerException is PostgresException { SqlState: "23505" })
                        {
                            duplicates.Enqueue((statements[k], e)); // settled by BuildKeys once the others are built
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
                bool again = attempt > 1 || options.Resume || _keysRebuilt;
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
                observer.Phase($"{PgSteps.Shorten(sql)} failed: {steps.Redact((e.InnerException ?? e).Message).ReplaceLineEndings(" ")}; retrying in {PgRetry.Backoff(attempt).TotalSeconds:N1} s ({attempt}/{PgRetry.MaxAttempts - 1})");
                conn?.Dispose();
                conn = null;
                PgRetry.Wait(attempt, _cancel.Token);
            }
        }
    }
}
