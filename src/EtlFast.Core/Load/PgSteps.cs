using System.Net.Sockets;
using EtlFast.Bson;
using EtlFast.Core.Engine;
using EtlFast.Core.Sources;
using Npgsql;

namespace EtlFast.Core.Load;

/// <summary>
/// The load's connections to the target and the one place that words their faults: opens connections
/// (a control one, and the workers' whose waits time out after --io-timeout), runs statement-level
/// steps turning PostgreSQL and socket faults into a <see cref="LoadException"/> that names the step,
/// and keeps the password out of every message.
/// </summary>
internal sealed class PgSteps : IDisposable
{
    private readonly PgTarget _target;
    private readonly NpgsqlDataSource _control;
    /// <summary>The workers' connections: every read and write of a chunk's statements times out after --io-timeout.</summary>
    private readonly NpgsqlDataSource _chunks;

    public PgSteps(PgTarget target, TimeSpan ioTimeout)
    {
        _target = target;
        _control = new NpgsqlSlimDataSourceBuilder(target.ConnectionString).Build();
        _chunks = new NpgsqlSlimDataSourceBuilder(ChunkConnectionString(target, ioTimeout)).Build();
    }

    /// <summary>
    /// The target's connection string with Npgsql's per-read and per-write timeout (its "Command Timeout",
    /// which also bounds every wait of a COPY) set to --io-timeout, and no wait for the answer to the
    /// cancel request a timeout sends: the stuck connection is dropped and the chunk retried on a new one.
    /// </summary>
    private static string ChunkConnectionString(PgTarget target, TimeSpan ioTimeout)
    {
        var b = new NpgsqlConnectionStringBuilder(target.ConnectionString)
        {
            CommandTimeout = Math.Max(1, (int)Math.Ceiling(ioTimeout.TotalSeconds)),
            CancellationTimeout = -1,
        };
        return b.ConnectionString;
    }

    public string Display => _target.Display;

    public NpgsqlConnection Open() => Open(_control);

    /// <summary>A worker's connection, whose waits time out after --io-timeout.</summary>
    public NpgsqlConnection OpenForChunks() => Open(_chunks);

    private NpgsqlConnection Open(NpgsqlDataSource source)
    {
        try
        {
            return source.OpenConnection();
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException)
        {
            throw new LoadException(FailureKind.Connection,
                $"could not connect to PostgreSQL at {_target.Display}",
                Redact(e.Message),
                "check --to (or PGHOST, PGPORT, PGUSER, PGDATABASE), that the server runs and accepts this user",
                e);
        }
    }

    /// <summary>Runs a statement-level step; PostgreSQL errors become a LoadException naming the step.</summary>
    public void Run(Action action, string what)
    {
        try
        {
            action();
        }
        catch (PostgresException e) when (PgFaults.IsServerGoingAway(e))
        {
            throw new LoadException(FailureKind.Connection, $"lost the connection to PostgreSQL at {_target.Display} while {Shorten(what)}: {e.MessageText}",
                e.Detail is null ? null : Redact(e.Detail), "nothing of the step in flight was committed: run the same command again (with --resume if the load had begun)", e);
        }
        catch (PostgresException e)
        {
            throw new LoadException(FailureKind.Data, $"PostgreSQL refused {Shorten(what)}: {e.MessageText}",
                e.Detail is null ? null : Redact(e.Detail), e.Hint, e);
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or IOException && e is not FileNotFoundException)
        {
            throw new LoadException(FailureKind.Connection, $"lost the connection to PostgreSQL at {_target.Display} while {Shorten(what)}",
                Redact(e.Message), "nothing of the step in flight was committed: run the same command again (with --resume if the load had begun)", e);
        }
    }

    public static string Shorten(string sql) => sql.Length <= 200 ? sql : sql[..200] + "...";

    /// <summary>A failure of a worker or a step as the user is told it: ours pass through, the drivers' are worded.</summary>
    public Exception Translate(Exception e) => e switch
    {
        LoadException or DataException or BsonException or SourceException => e,
        PostgresException pg => new LoadException(FailureKind.Data, $"PostgreSQL error: {pg.MessageText}", pg.Detail, pg.Hint, pg),
        NpgsqlException or SocketException or IOException when e is not FileNotFoundException => new LoadException(FailureKind.Connection,
            $"lost the connection to PostgreSQL at {_target.Display}", Redact(e.Message),
            "the chunks in flight were rolled back and committed ones stay: run the same command with --resume", e),
        _ => e,
    };

    public string Redact(string text)
    {
        string? password = _target.Builder.Password;
        return string.IsNullOrEmpty(password) ? text : text.Replace(password, "********", StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _control.Dispose();
        _chunks.Dispose();
    }
}
