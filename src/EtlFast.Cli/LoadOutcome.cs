using EtlFast.Core.Load;

namespace EtlFast.Cli;

/// <summary>An error as it was reported on stderr: PostgreSQL's primary / Detail / Hint, with its exit code.</summary>
internal sealed record Failure(int ExitCode, string Primary, string? Detail, string? Hint);

/// <summary>How a load ended: what the last progress event and --summary-json report.</summary>
internal sealed record LoadOutcome(int ExitCode, LoadSummary Summary, Failure? Failure, string? RunId)
{
    /// <summary>A stable word for the exit code.</summary>
    public string Status => StatusOf(ExitCode);

    /// <summary>The stable word for an exit code, for every summary that reports one.</summary>
    public static string StatusOf(int exitCode) => exitCode switch
    {
        ExitCodes.Ok => "ok",
        ExitCodes.CompletedWithRejects => "completed_with_rejects",
        ExitCodes.Usage => "usage_error",
        ExitCodes.Connection => "connection_error",
        ExitCodes.Data => "data_error",
        ExitCodes.Interrupted => "interrupted",
        ExitCodes.Terminated => "terminated",
        _ => "failed",
    };
}
