using System.Net.Sockets;
using Npgsql;

namespace EtlFast.Core.Load;

/// <summary>What a failed step on PostgreSQL means for the load.</summary>
internal enum PgFault
{
    /// <summary>The statement, the data or the machine running etlfast is at fault: retrying cannot help.</summary>
    Fatal,
    /// <summary>The server or the connection went away (terminated backend, restart, reset, deadlock): run the step again on a new connection.</summary>
    Transient,
    /// <summary>No byte moved on the connection for the I/O timeout (a half-open connection, a server that stopped reading): worth one new connection, not more.</summary>
    Stalled,
    /// <summary>The server is out of disk space (SQLSTATE 53100): stop, and resume once there is room.</summary>
    DiskFull,
}

/// <summary>
/// The one classifier of PostgreSQL faults, used by the retry of a chunk and by the retry of a key or
/// index build. A <see cref="LoadException"/> wrapping a server error is judged by its SQLSTATE; one
/// wrapping anything else by its kind (a data or usage failure is never retried).
/// </summary>
internal static class PgFaults
{
    public static PgFault Classify(Exception e)
    {
        Exception inner = e is LoadException { InnerException: { } wrapped } ? wrapped : e;
        if (inner is PostgresException pg)
        {
            return pg.SqlState switch
            {
                "53100" => PgFault.DiskFull,
                "53300" or "40001" or "40P01" => PgFault.Transient,
                _ when IsServerGoingAway(pg) => PgFault.Transient,
                _ => PgFault.Fatal,
            };
        }
        if (IsTimeout(inner))
        {
            return e is LoadException { Kind: not FailureKind.Connection } ? PgFault.Fatal : PgFault.Stalled;
        }
        if (e is LoadException load)
        {
            return load.Kind == FailureKind.Connection ? PgFault.Transient : PgFault.Fatal;
        }
        return inner switch
        {
            NpgsqlException or SocketException or IOException => PgFault.Transient,
            InvalidOperationException => PgFault.Transient, // "connection is not open" after a broken one
            _ => PgFault.Fatal,
        };
    }

    /// <summary>A server shutting down, restarting or terminating this backend: a connection failure, not a refusal of the statement.</summary>
    public static bool IsServerGoingAway(PostgresException e) =>
        e.SqlState.StartsWith("08", StringComparison.Ordinal) || e.SqlState is "57P01" or "57P02" or "57P03";

    /// <summary>True for the faults a retry on a new connection can outlive (a stall only once: see <see cref="PgFault.Stalled"/>).</summary>
    public static bool IsRetryable(PgFault fault) => fault is PgFault.Transient or PgFault.Stalled;

    /// <summary>Npgsql reports a read or write that timed out, and a connection attempt that did, as an NpgsqlException around a TimeoutException.</summary>
    private static bool IsTimeout(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is TimeoutException)
            {
                return true;
            }
        }
        return false;
    }
}
