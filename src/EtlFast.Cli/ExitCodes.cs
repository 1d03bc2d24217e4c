namespace EtlFast.Cli;

/// <summary>Stable process exit codes; documented in --help and the README.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>The load completed, but some documents were rejected (see the reject files).</summary>
    public const int CompletedWithRejects = 1;
    /// <summary>Bad command line or invalid mapping: nothing was read or written.</summary>
    public const int Usage = 2;
    /// <summary>Could not connect to, or lost, PostgreSQL or MongoDB.</summary>
    public const int Connection = 3;
    /// <summary>A document could not be converted, or the source is corrupt.</summary>
    public const int Data = 4;
    /// <summary>Interrupted by Ctrl-C (SIGINT).</summary>
    public const int Interrupted = 130;
    /// <summary>Stopped by SIGTERM.</summary>
    public const int Terminated = 143;
}
