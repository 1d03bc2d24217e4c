using System.Globalization;

namespace EtlFast.Core.Load;

/// <summary>
/// One of <see cref="Count"/> processes that share a load (<c>--partition I/N</c>, 0-based, as a
/// Kubernetes Indexed Job's completion index). The chunk space is split deterministically: a file's
/// chunk k belongs to partition k mod N (every process cuts the same chunks, and encodes only its own);
/// a live collection's <c>_id</c> range r belongs to partition r mod N (every process plans the same
/// ranges, and reads only its own). Together the N partitions load every chunk exactly once.
/// </summary>
public readonly record struct Partition(int Index, int Count)
{
    /// <summary>The whole load in one process.</summary>
    public static readonly Partition Whole = new(0, 1);

    public bool IsWhole => Count == 1;

    /// <summary>True when this partition loads the file chunk <paramref name="chunkIndex"/>.</summary>
    public bool OwnsChunk(long chunkIndex) => chunkIndex % Count == Index;

    /// <summary>True when this partition reads the live source's <c>_id</c> range <paramref name="rangeNumber"/>.</summary>
    public bool OwnsRange(int rangeNumber) => rangeNumber % Count == Index;

    /// <summary>Parses "I/N" with 0 &lt;= I &lt; N; null with the reason when it is not that.</summary>
    public static Partition? Parse(string text, out string? problem)
    {
        problem = null;
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0
            && int.TryParse(text.AsSpan(0, slash), NumberStyles.None, CultureInfo.InvariantCulture, out int index)
            && int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int count))
        {
            if (count is < 1 or > 10_000)
            {
                problem = $"the number of partitions must be 1 to 10,000, not {count}";
                return null;
            }
            if (index >= count)
            {
                problem = $"partitions are numbered from 0 to {count - 1}, so {index}/{count} does not exist";
                return null;
            }
            return new Partition(index, count);
        }
        problem = "write I/N, e.g. 0/4 for the first of four processes (I counts from 0, as $JOB_COMPLETION_INDEX does)";
        return null;
    }

    public override string ToString() => $"{Index}/{Count}";
}
