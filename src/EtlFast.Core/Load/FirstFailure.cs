namespace EtlFast.Core.Load;

/// <summary>
/// The first exception of the threads that share one job (the chunk workers, a wave of key builds): it
/// cancels the others, and is thrown, translated, once they have all been joined (or, for the live
/// source's readers, as it is, by the consumer of their chunks).
/// </summary>
internal sealed class FirstFailure(CancellationTokenSource cancel)
{
    private Exception? _first;

    /// <summary>The failure kept, if any; read from any thread.</summary>
    public Exception? First => Volatile.Read(ref _first);

    /// <summary>Runs a thread's work; a failure is kept (the first one only) and stops the others.</summary>
    public void Guard(Action action)
    {
        try
        {
            action();
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            Keep(e);
            cancel.Cancel();
        }
    }

    /// <summary>Keeps <paramref name="e"/> unless a failure came first, without stopping anything.</summary>
    public void Keep(Exception e) => Interlocked.CompareExchange(ref _first, e, null);

    /// <summary>After the threads are joined: the failure as the user reads it, unless the user stopped the job, which is reported as cancellation.</summary>
    public void ThrowIfFailed(PgSteps steps, CancellationToken userStop)
    {
        if (_first is { } f && !userStop.IsCancellationRequested)
        {
            throw steps.Translate(f);
        }
        cancel.Token.ThrowIfCancellationRequested();
    }
}
