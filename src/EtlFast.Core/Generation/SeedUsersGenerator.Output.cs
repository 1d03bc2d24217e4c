using EtlFast.Bson;

namespace EtlFast.Core.Generation;

// Streaming many documents: generation on the calling thread, output on a second one, so gzip or a slow
// disk overlaps with generation on a 2-core machine.
public sealed partial class SeedUsersGenerator
{
    /// <summary>Documents are handed to the output in chunks of about this many bytes.</summary>
    public const int ChunkBytes = 1 << 20;

    /// <summary>
    /// Writes users 1..<paramref name="count"/> back to back (a mongodump <c>.bson</c> stream) to
    /// <paramref name="output"/>, then flushes it. <paramref name="progress"/> is called after each chunk, on
    /// the calling thread. Cancellation is checked between chunks.
    /// </summary>
    public GenerationProgress WriteUsers(Stream output, int count, Action<GenerationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        using var first = new BsonWriter(ChunkBytes + 64 * 1024);
        using var second = new BsonWriter(ChunkBytes + 64 * 1024);
        BsonWriter current = first;
        Task? pending = null;
        long bytes = 0;
        try
        {
            for (int id = 1; id <= count; id++)
            {
                WriteUser(current, id);
                if (current.WrittenCount >= ChunkBytes)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    pending?.GetAwaiter().GetResult();   // the other writer's bytes are out: it may be reused
                    BsonWriter full = current;
                    pending = Task.Run(() => output.Write(full.WrittenSpan), CancellationToken.None);
                    bytes += full.WrittenCount;
                    current = full == first ? second : first;
                    current.Clear();
                    progress?.Invoke(new GenerationProgress(id, bytes));
                }
            }
            pending?.GetAwaiter().GetResult();
            pending = null;
            output.Write(current.WrittenSpan);
            bytes += current.WrittenCount;
            output.Flush();
            var done = new GenerationProgress(count, bytes);
            progress?.Invoke(done);
            return done;
        }
        finally
        {
            // Never hand the writers' buffers back to the pool while a write still reads one.
            if (pending is not null)
            {
                try
                {
                    pending.Wait(CancellationToken.None);
                }
                catch (AggregateException)
                {
                    // The first failure is already on its way up.
                }
            }
        }
    }
}
