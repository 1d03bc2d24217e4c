using System.Net;
using System.Net.Sockets;
using EtlFast.Core.Tests.TestSupport;
using Npgsql;

namespace EtlFast.Core.Tests.Faults;

/// <summary>
/// A password given in --to (URI, libpq keywords or Npgsql form) never appears in anything etlfast
/// prints, whether the load succeeds, cannot connect, is given a bad --to, or stops on bad data;
/// a refused connection exits 3 naming host:port.
/// </summary>
public sealed class PasswordTests : IDisposable
{
    private const string Password = "Pw-9xQ7@secret/word";
    private const string PasswordUriEncoded = "Pw-9xQ7%40secret%2Fword";
    private readonly FaultScope _scope = new();

    public void Dispose() => _scope.Dispose();

    /// <summary>A loopback port nothing listens on (taken from the OS, then released).</summary>
    private static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static string Form(string form, string host, int port, string user, string database) => form switch
    {
        "uri" => $"postgresql://{user}:{PasswordUriEncoded}@{host}:{port}/{database}",
        "keywords" => $"host={host} port={port} user={user} password='{Password}' dbname={database}",
        "npgsql" => $"Host={host};Port={port};Username={user};Password={Password};Database={database}",
        _ => throw new ArgumentException(form),
    };

    private static void AssertNoPassword(CliResult r)
    {
        foreach (string secret in new[] { Password, PasswordUriEncoded, "secret" })
        {
            Assert.False(r.Out.Contains(secret, StringComparison.Ordinal) || r.Err.Contains(secret, StringComparison.Ordinal),
                $"the output shows the password (or part of it: «{secret}»)\n{r}");
        }
    }

    private (string Bson, string Mapping) SmallThings(bool withBad = false)
    {
        var file = new ThingsFile();
        for (int id = 1; id <= 5; id++)
        {
            file.AddGood(id);
        }
        if (withBad)
        {
            file.AddBad(ThingsData.Kind("decimal128_nan"), 99);
        }
        return (file.Write(_scope.Dir, withBad ? "bad.bson" : "good.bson"), ThingsFile.WriteMapping(_scope.Dir));
    }

    [Theory]
    [InlineData("uri")]
    [InlineData("keywords")]
    [InlineData("npgsql")]
    public void A_refused_connection_exits_3_naming_host_and_port_and_never_the_password(string form)
    {
        (string bson, string mapping) = SmallThings();
        int port = ClosedPort();
        string schema = _scope.NewSchema("pw_refused");

        CliResult r = Etlfast.Run(["load", "--from", bson, "-m", mapping, "--to", Form(form, "127.0.0.1", port, "loader", "postgres"), "--schema", schema]);

        r.Fails(3, $"127.0.0.1:{port}");
        AssertNoPassword(r);
    }

    [Theory]
    [InlineData("uri")]
    [InlineData("keywords")]
    [InlineData("npgsql")]
    public void A_successful_load_and_a_data_error_never_print_the_password(string form)
    {
        // The throwaway server trusts local connections, so the password is sent but not needed.
        var server = new NpgsqlConnectionStringBuilder(TestPg.ConnectionString);
        string to = Form(form, server.Host!, server.Port, server.Username!, server.Database!);
        (string good, string mapping) = SmallThings();
        string schema = _scope.NewSchema("pw_ok");

        CliResult ok = Etlfast.Run(["load", "--from", good, "-m", mapping, "--to", to, "--schema", schema]);
        Assert.True(ok.Exit == 0, $"expected exit 0\n{ok}");
        AssertNoPassword(ok);

        (string bad, _) = SmallThings(withBad: true);
        CliResult stopped = Etlfast.Run(["load", "--from", bad, "-m", mapping, "--to", to, "--schema", _scope.NewSchema("pw_bad")]);
        stopped.Fails(4, "_id 99");
        AssertNoPassword(stopped);

        // Refused as unfinished (it stopped), and the message says so without the password.
        CliResult again = Etlfast.Run(["load", "--from", bad, "-m", mapping, "--to", to, "--schema", stopped.Args[^1]]);
        again.Fails(2, "--resume");
        AssertNoPassword(again);
    }

    [Theory]
    [InlineData($"postgresql://loader:{PasswordUriEncoded}@127.0.0.1:notaport/postgres")]
    [InlineData($"postgresql://loader:{PasswordUriEncoded}@127.0.0.1/postgres?sslmode=sometimes")]
    [InlineData($"postgresql://loader:{PasswordUriEncoded}@127.0.0.1/postgres?colour=blue")]
    [InlineData($"host=127.0.0.1 password='{Password}' port=notaport")]
    [InlineData($"host=127.0.0.1 password='{Password}' colour=blue")]
    [InlineData($"host=127.0.0.1 password='{Password}' dbname")]
    [InlineData($"Host=127.0.0.1;Password={Password};Port=notaport")]
    [InlineData($"Host=127.0.0.1;Password={Password};Colour=blue")]
    public void A_bad_to_exits_2_without_the_password(string to)
    {
        (string bson, string mapping) = SmallThings();
        CliResult r;
        try
        {
            r = Etlfast.Run(["load", "--from", bson, "-m", mapping, "--to", to, "--schema", _scope.NewSchema("pw_badto")]);
        }
        catch (Exception e)
        {
            Assert.Fail($"--to \"{to}\" made etlfast throw instead of reporting a usage error (exit 2); the process would crash with:\n{e.GetType()}: {e.Message}");
            throw;
        }
        r.Fails(2, "--to");
        AssertNoPassword(r);
    }
}
