namespace EtlFast.Cli;

/// <summary>What a command may touch of the process: its streams and its cancellation.</summary>
public sealed class CliContext
{
    public required TextWriter Out { get; init; }
    public required TextWriter Err { get; init; }

    /// <summary>Raw standard output, for binary output such as <c>gen -o -</c>.</summary>
    public Func<Stream> OpenStdout { get; init; } = Console.OpenStandardOutput;

    /// <summary>Raw standard input, for <c>--from -</c>.</summary>
    public Func<Stream> OpenStdin { get; init; } = Console.OpenStandardInput;

    /// <summary>True when stderr is an interactive terminal (progress redraws in place).</summary>
    public bool ErrIsTerminal { get; init; }

    /// <summary>Environment lookup (tests replace it).</summary>
    public Func<string, string?> GetEnv { get; init; } = Environment.GetEnvironmentVariable;

    public CancellationToken Cancellation { get; init; }

    /// <summary>The exit code for an interruption: 130 after SIGINT (Ctrl-C), 143 after SIGTERM.</summary>
    public Func<int> InterruptExitCode { get; init; } = () => ExitCodes.Interrupted;

    /// <summary>Writes an error in PostgreSQL's style: "etlfast: error: primary", then Detail/Hint lines.</summary>
    public void Error(string primary, string? detail = null, string? hint = null)
    {
        Err.WriteLine($"etlfast: error: {primary}");
        if (!string.IsNullOrEmpty(detail))
        {
            Err.WriteLine($"Detail: {detail}");
        }
        if (!string.IsNullOrEmpty(hint))
        {
            Err.WriteLine($"Hint: {hint}");
        }
    }
}
