namespace EtlFast.Core.Load;

public enum FailureKind
{
    /// <summary>The command or the target was given wrongly; nothing was written.</summary>
    Usage,
    /// <summary>PostgreSQL (or MongoDB) could not be reached or was lost.</summary>
    Connection,
    /// <summary>The data could not be loaded as the mapping says.</summary>
    Data,
}

/// <summary>A load that cannot go on, with a message in PostgreSQL's style: primary line, detail, hint.</summary>
public sealed class LoadException(FailureKind kind, string message, string? detail = null, string? hint = null, Exception? inner = null)
    : Exception(message, inner)
{
    public FailureKind Kind { get; } = kind;
    public string? Detail { get; } = detail;
    public string? Hint { get; } = hint;
}
