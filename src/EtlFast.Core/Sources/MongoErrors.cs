using System.Text.RegularExpressions;
using MongoDB.Driver;

namespace EtlFast.Core.Sources;

/// <summary>Which driver failures a reader outlives by reopening, and short, password-free texts for the others.</summary>
internal static partial class MongoErrors
{
    /// <summary>
    /// Faults of the connection, the server or the cursor after which the same query can simply be sent
    /// again. <paramref name="cursorOpen"/>: a command error on a getMore (the cursor was killed, timed
    /// out or its node stepped down) is one of them; on the opening find it is the query's own fault.
    /// </summary>
    public static bool IsTransient(Exception e, bool cursorOpen) => e switch
    {
        MongoAuthenticationException => false,
        MongoCursorNotFoundException => true, // code 43: a MongoQueryException, not a MongoCommandException
        MongoConnectionException => true,
        MongoConnectionPoolPausedException or MongoWaitQueueFullException => true, // the pool is being reset after a dropped connection
        MongoNotPrimaryException or MongoNodeIsRecoveringException => true,
        MongoExecutionTimeoutException => false,
        MongoCommandException c when IsNotImplemented(c) => false,
        MongoCommandException or MongoQueryException => cursorOpen,
        IOException => true,
        TimeoutException => true, // server selection while the server is away
        _ => false,
    };

    /// <summary>
    /// The server lacks a command or aggregation stage (MongoDB-compatible services often do): codes 59
    /// CommandNotFound, 115 CommandNotSupported, 238 NotImplemented, and mongod's 40324 for an unknown
    /// stage. Never a connection fault: sending it again cannot help.
    /// </summary>
    public static bool IsNotImplemented(Exception e) => e is MongoCommandException { Code: 59 or 115 or 238 or 40324 };

    /// <summary>What the server does not implement, for "the server does not implement X": the stage or command its message names.</summary>
    public static string Unimplemented(MongoCommandException e)
    {
        Match stage = StageName().Match(e.ErrorMessage ?? e.Message);
        if (stage.Success)
        {
            return stage.Value;
        }
        string? command = e.Command?.ElementCount > 0 ? e.Command.GetElement(0).Name : null;
        return command is null ? e.CodeName ?? $"code {e.Code}" : $"the {command} command";
    }

    /// <summary>The driver's own message cut to its first sentence (server selection dumps the whole cluster state), without the password.</summary>
    public static string Brief(Exception e, string? password)
    {
        string message = e is MongoCommandException c && !string.IsNullOrEmpty(c.ErrorMessage) ? c.ErrorMessage : e.Message;
        string full = message;
        int end = message.IndexOf(". ", StringComparison.Ordinal);
        if (end >= 0)
        {
            message = message[..end];
        }
        // "A timeout occurred after 10000ms selecting a server using CompositeServerSelector{ ... }"
        int selector = message.IndexOf(" using CompositeServerSelector", StringComparison.Ordinal);
        if (selector >= 0)
        {
            message = message[..selector];
        }
        message = message.TrimEnd('.');
        // The cause a heartbeat saw, e.g. "Connection refused", is buried in the cluster description.
        Match cause = SocketCause().Match(full);
        if (cause.Success && !message.Contains(cause.Groups[1].Value, StringComparison.Ordinal))
        {
            message += $" ({cause.Groups[1].Value.Trim()})";
        }
        if (message.Length > 300)
        {
            message = message[..300] + "...";
        }
        return string.IsNullOrEmpty(password) ? message : message.Replace(password, "********", StringComparison.Ordinal);
    }

    [GeneratedRegex(@"\$[A-Za-z][A-Za-z0-9]*")]
    private static partial Regex StageName();

    [GeneratedRegex(@"SocketException \(\d+\): ([^\r\n""\.]{1,80})")]
    private static partial Regex SocketCause();
}
