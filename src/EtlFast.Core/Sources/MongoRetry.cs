namespace EtlFast.Core.Sources;

/// <summary>
/// Bounded retries with exponential backoff for the live source: a transient fault (see
/// <see cref="MongoErrors.IsTransient"/>) is tried again up to <see cref="MaxRetries"/> times, waiting
/// 100 ms, 200 ms, ... (at most 2 s); the next fault after that, or any other fault, becomes a
/// <see cref="SourceException"/> naming the hosts and what was being done, never the password.
/// </summary>
internal sealed class MongoRetry(string displayName, string? password)
{
    public const int MaxRetries = 5;

    /// <summary>The client's socket timeout (zero or infinite: none), named in the message of a read that timed out.</summary>
    public TimeSpan SocketTimeout { get; init; }

    /// <summary>For tests: how long the first wait is (doubled each time).</summary>
    public TimeSpan FirstWait { get; init; } = TimeSpan.FromMilliseconds(100);

    public T Run<T>(Func<T> action, string what, CancellationToken cancel)
    {
        for (int failures = 0; ; failures++)
        {
            try
            {
                return action();
            }
            catch (Exception e) when (!cancel.IsCancellationRequested && MongoErrors.IsTransient(e, cursorOpen: false) && failures < MaxRetries)
            {
                Wait(failures + 1, cancel);
            }
            catch (Exception e) when (!cancel.IsCancellationRequested && IsDriverFault(e))
            {
                throw Fail(e, what, failures + 1);
            }
        }
    }

    /// <summary>Sleeps before try number <paramref name="failures"/> + 1; throws if cancelled meanwhile.</summary>
    public void Wait(int failures, CancellationToken cancel)
    {
        double ms = Math.Min(2000, FirstWait.TotalMilliseconds * (1 << Math.Min(failures - 1, 10)));
        cancel.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(ms));
        cancel.ThrowIfCancellationRequested();
    }

    /// <summary>The exception to stop with: a connection failure (exit 3) or, for the server's refusal of a query or lack of a command, a usage one (exit 2).</summary>
    public SourceException Fail(Exception e, string what, int tries)
    {
        string brief = MongoErrors.Brief(e, password);
        if (e is MongoDB.Driver.MongoCommandException c && MongoErrors.IsNotImplemented(c))
        {
            return new SourceException($"the server does not implement {MongoErrors.Unimplemented(c)} ({displayName}, while {what}): {brief}",
                "MongoDB-compatible services lack some of mongod's commands and aggregation stages", connection: false);
        }
        if (MongoErrors.IsTransient(e, cursorOpen: true) || e is MongoDB.Driver.MongoAuthenticationException)
        {
            string after = tries > 1 ? $" (after {tries} tries)" : "";
            if (e is MongoDB.Driver.MongoConnectionException && IsTimeout(e.InnerException) && SocketTimeout > TimeSpan.Zero && SocketTimeout != Timeout.InfiniteTimeSpan)
            {
                brief = $"no reply for {SocketTimeout.TotalSeconds:0.###} s (--io-timeout, or socketTimeoutMS in the URI): {brief}";
            }
            return new SourceException($"lost {displayName} while {what}{after}: {brief}",
                "check that the server is up and reachable; chunks committed so far stay: run the same command with --resume", connection: true);
        }
        return new SourceException($"{displayName} refused {what}: {brief}",
            "check --query and the database and collection names", connection: false);
    }

    /// <summary>A read or write that timed out (server selection's own TimeoutException is not wrapped in a connection exception).</summary>
    private static bool IsTimeout(Exception? e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is TimeoutException || x is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.TimedOut })
            {
                return true;
            }
        }
        return false;
    }

    public static bool IsDriverFault(Exception e) => e is MongoDB.Driver.MongoException or TimeoutException or IOException;
}
