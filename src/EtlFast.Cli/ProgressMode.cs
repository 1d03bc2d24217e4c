namespace EtlFast.Cli;

/// <summary>How <c>load</c> reports progress on stderr (<c>--progress</c>).</summary>
internal enum ProgressMode
{
    /// <summary>Redrawn in place on a terminal, plain lines otherwise.</summary>
    Auto,
    /// <summary>A plain line per interval, terminal or not.</summary>
    Plain,
    /// <summary>One JSON object per line: periodic, phase and end events.</summary>
    Json,
    /// <summary>Nothing.</summary>
    None,
}
