using EtlFast.Core.Sources;

namespace EtlFast.Core.Load;

/// <summary>
/// Makes the chunks of each live <c>_id</c> range commit in their order: a worker holding chunk k + 1 of
/// a range waits, with its rows copied and its transaction open, until chunk k has committed. So the
/// committed chunks of a range are always a prefix of it, whatever moment a crash or kill comes, and a
/// resume can go on after the last committed <c>_id</c> (<see cref="RangePlanStore"/>): a document is
/// never skipped because a later chunk of its range committed before an earlier one that was lost.
/// A range's chunks are queued in order and taken in order, so the wait is for a chunk that another
/// worker already holds; it is short and can never be circular.
/// </summary>
internal sealed class CommitOrder
{
    private readonly Dictionary<int, long> _next = [];

    /// <summary>Each range's next chunk to commit is its <paramref name="starts"/> entry's sequence (absent: 0).</summary>
    public CommitOrder(IReadOnlyDictionary<int, RangeStart> starts)
    {
        foreach ((int range, RangeStart start) in starts)
        {
            _next[range] = start.Sequence;
        }
    }

    /// <summary>Blocks until every earlier chunk of <paramref name="chunkIndex"/>'s range has committed.</summary>
    public void WaitTurn(long chunkIndex, CancellationToken cancel)
    {
        (int range, long sequence) = Split(chunkIndex);
        lock (_next)
        {
            if (_next.GetValueOrDefault(range) == sequence)
            {
                return;
            }
        }
        using CancellationTokenRegistration wake = cancel.Register(() =>
        {
            lock (_next)
            {
                Monitor.PulseAll(_next);
            }
        });
        lock (_next)
        {
            while (_next.GetValueOrDefault(range) != sequence)
            {
                cancel.ThrowIfCancellationRequested();
                Monitor.Wait(_next);
            }
        }
    }

    /// <summary>Chunk <paramref name="chunkIndex"/> has committed: the next of its range may.</summary>
    public void Committed(long chunkIndex)
    {
        (int range, long sequence) = Split(chunkIndex);
        lock (_next)
        {
            _next[range] = sequence + 1;
            Monitor.PulseAll(_next);
        }
    }

    private static (int Range, long Sequence) Split(long chunkIndex) => ((int)(chunkIndex >> MongoRangeReader.SequenceBits), chunkIndex & MongoRangeReader.SequenceMask);
}
