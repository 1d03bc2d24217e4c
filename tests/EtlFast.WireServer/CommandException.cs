namespace EtlFast.WireServer;

/// <summary>
/// A command failure that becomes an {ok:0, errmsg, code, codeName} reply. Thrown only on the cold
/// error path of a test server, where an exception keeps every handler short.
/// </summary>
public sealed class CommandException : Exception
{
    /// <summary>MongoDB's code for a command, option, stage or operator the server does not know.</summary>
    public const int NotSupportedCode = 115;

    public CommandException(int code, string codeName, string message)
        : base(message)
    {
        Code = code;
        CodeName = codeName;
    }

    public CommandException()
        : this(1, "InternalError", "wire test server error")
    {
    }

    public CommandException(string message)
        : this(1, "InternalError", message)
    {
    }

    public CommandException(string message, Exception innerException)
        : base(message, innerException)
    {
        CodeName = "InternalError";
        Code = 1;
    }

    public int Code { get; }

    public string CodeName { get; }

    /// <summary>The reply's errorLabels (ResumableChangeStreamError, for one).</summary>
    public IReadOnlyList<string> ErrorLabels { get; init; } = [];

    /// <summary>The one refusal every unimplemented thing gets; <paramref name="what"/> names it exactly.</summary>
    public static CommandException NotImplemented(string what) =>
        new(NotSupportedCode, "CommandNotSupported", $"wire test server does not implement {what}");

    public static CommandException BadValue(string message) => new(2, "BadValue", message);
}
