namespace EtlFast.Core.Sources;

/// <summary>Hands out chunks of whole documents, in order, from one thread.</summary>
public interface IChunkSource : IDisposable
{
    /// <summary>How messages name the source (never with a password).</summary>
    string DisplayName { get; }

    /// <summary>Bytes of BSON handed out so far.</summary>
    long Position { get; }

    /// <summary>How far through its input the source is, when that can be known (files); null otherwise.</summary>
    ReadMeter? Meter => null;

    /// <summary>The next chunk, or null when the source is exhausted.</summary>
    Chunk? Next(CancellationToken cancel);
}
