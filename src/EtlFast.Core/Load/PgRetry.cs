namespace EtlFast.Core.Load;

/// <summary>
/// The one retry policy of the target's steps (a chunk, a key build): a step that failed for a reason of
/// the server or the connection (see <see cref="PgFaults"/>) was rolled back whole, so it runs again on a
/// new connection after a bounded backoff, at most <see cref="MaxAttempts"/> times in all.
/// </summary>
internal static class PgRetry
{
    public const int MaxAttempts = 6;

    /// <summary>The bounded backoff before attempt <paramref name="attempt"/> + 1: 0.5 s, doubling to 16 s.</summary>
    public static TimeSpan Backoff(int attempt) => TimeSpan.FromMilliseconds(250 * (1 << attempt));

    /// <summary>Waits before the next attempt; throws if the load is stopped meanwhile.</summary>
    public static void Wait(int attempt, CancellationToken stop)
    {
        stop.WaitHandle.WaitOne(Backoff(attempt));
        stop.ThrowIfCancellationRequested();
    }
}
