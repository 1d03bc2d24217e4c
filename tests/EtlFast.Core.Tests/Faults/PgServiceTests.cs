using EtlFast.Core.Tests.TestSupport;
using Npgsql;

namespace EtlFast.Core.Tests.Faults;

/// <summary>
/// --to through a libpq service file (issue #12: a password must not have to sit on the command line):
/// <c>service=NAME</c>, <c>?service=NAME</c> and PGSERVICE find section [NAME] of PGSERVICEFILE, the
/// keywords --to names win over the service's, the service's over PG* variables; and, against a role
/// the test server makes require a password, the service's password or the passfile (PGPASSFILE)
/// matched to the service's host, port, database and user lets the load in, never printed.
/// </summary>
[Collection(ServerRestartCollection.Name)] // not while a test restarts the server
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class PgServiceTests : IDisposable
{
    private const string Password = "Svc-Pw-4rT@secret";
    private readonly FaultScope _scope = new();
    private readonly NpgsqlConnectionStringBuilder _server = new(TestPg.ConnectionString);

    public void Dispose() => _scope.Dispose();

    private (string Bson, string Mapping, ThingsFile File) Things()
    {
        var file = new ThingsFile();
        for (int id = 1; id <= 5; id++)
        {
            file.AddGood(id);
        }
        return (file.Write(_scope.Dir), ThingsFile.WriteMapping(_scope.Dir), file);
    }

    /// <summary>A service file with a decoy section before the test server's and a service whose database does not exist.</summary>
    private string ServiceFile(string user = "", string extra = "") => _scope.Dir.Write("pg_service.conf", $"""
        # the test server, as libpq would read it
        [decoy]
        host=nowhere.invalid

        [etl_test]
        host={_server.Host}
        port={_server.Port}
        dbname={_server.Database}
        user={(user.Length > 0 ? user : _server.Username)}
        {extra}

        [wrong_db]
        host={_server.Host}
        port={_server.Port}
        user={_server.Username}
        dbname=no_such_database_here
        """);

    private static CliResult Load(string bson, string mapping, string schema, string? to, Dictionary<string, string> env) =>
        Etlfast.Run(["load", "--from", bson, "-m", mapping, .. (to is null ? Array.Empty<string>() : ["--to", to]), "--schema", schema, "-q"], env: env);

    [Fact]
    public void A_service_named_in_to_or_in_PGSERVICE_loads_the_rows()
    {
        (string bson, string mapping, ThingsFile file) = Things();
        var env = new Dictionary<string, string> { ["PGSERVICEFILE"] = ServiceFile() };

        string keyword = _scope.NewSchema("svc_kw");
        Load(bson, mapping, keyword, "service=etl_test", env).Ok();
        ThingsFile.AssertTables(keyword, file.Good);

        string uri = _scope.NewSchema("svc_uri");
        Load(bson, mapping, uri, "postgresql://?service=etl_test", env).Ok();
        ThingsFile.AssertTables(uri, file.Good);

        // PGSERVICE, with PG* variables the service must win over (libpq: service before environment).
        string fromEnv = _scope.NewSchema("svc_env");
        Load(bson, mapping, fromEnv, null, new(env) { ["PGSERVICE"] = "etl_test", ["PGHOST"] = "nowhere.invalid", ["PGDATABASE"] = "no_such_database_here" }).Ok();
        ThingsFile.AssertTables(fromEnv, file.Good);
    }

    [Fact]
    public void Keywords_in_to_win_over_the_service_and_an_unknown_service_is_a_usage_error()
    {
        (string bson, string mapping, ThingsFile file) = Things();
        string serviceFile = ServiceFile();
        var env = new Dictionary<string, string> { ["PGSERVICEFILE"] = serviceFile };

        Load(bson, mapping, _scope.NewSchema("svc_wrong"), "service=wrong_db", env).Fails(3, "no_such_database_here");
        string schema = _scope.NewSchema("svc_override");
        Load(bson, mapping, schema, $"service=wrong_db dbname={_server.Database}", env).Ok();
        ThingsFile.AssertTables(schema, file.Good);

        Load(bson, mapping, _scope.NewSchema("svc_none"), "service=nope", env).Fails(2, "definition of service \"nope\" not found", serviceFile);
        string nested = _scope.Dir.Write("nested.conf", "[a]\nservice=b\n");
        Load(bson, mapping, _scope.NewSchema("svc_nested"), "service=a", new() { ["PGSERVICEFILE"] = nested }).Fails(2, "nested service");
        // The user's file first; the system file (PGSYSCONFDIR) when the user's does not define the service.
        string sysDir = Path.GetDirectoryName(serviceFile)!;
        string system = _scope.NewSchema("svc_system");
        Load(bson, mapping, system, "service=etl_test", new() { ["PGSERVICEFILE"] = nested, ["PGSYSCONFDIR"] = sysDir }).Ok();
        ThingsFile.AssertTables(system, file.Good);
    }

    /// <summary>Needs the throwaway server of scripts/pg-shell.sh: its pg_hba.conf gets a line for one role.</summary>
    [RestartableServerFact]
    public void A_password_required_by_the_server_comes_from_the_service_or_the_passfile_and_is_never_printed()
    {
        (string bson, string mapping, ThingsFile file) = Things();
        using var role = new PasswordRole(ServerRestartTests.DataDir!, Password);

        // Without a password the server refuses the role: the test is about a password really needed.
        CliResult refused = Load(bson, mapping, _scope.NewSchema("svc_nopw"), "service=etl_test", new() { ["PGSERVICEFILE"] = ServiceFile(role.Name) });
        refused.Fails(3, "password");

        string inService = _scope.NewSchema("svc_pw");
        CliResult ok = Load(bson, mapping, inService, "service=etl_test", new() { ["PGSERVICEFILE"] = ServiceFile(role.Name, $"password={Password}") }).Ok();
        ThingsFile.AssertTables(inService, file.Good);
        Assert.DoesNotContain(Password, ok.Out + ok.Err, StringComparison.Ordinal);

        // .pgpass semantics: the line for the service's host:port:database:user, the file 0600.
        string passfile = _scope.Dir.Write("pgpass", $"nowhere.invalid:*:*:*:wrong\n{_server.Host}:{_server.Port}:{_server.Database}:{role.Name}:{Password}\n");
        File.SetUnixFileMode(passfile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        string viaPassfile = _scope.NewSchema("svc_pgpass");
        CliResult pass = Load(bson, mapping, viaPassfile, "service=etl_test", new() { ["PGSERVICEFILE"] = ServiceFile(role.Name), ["PGPASSFILE"] = passfile }).Ok();
        ThingsFile.AssertTables(viaPassfile, file.Good);
        Assert.DoesNotContain(Password, pass.Out + pass.Err, StringComparison.Ordinal);
    }

    /// <summary>A superuser role that must log in with a password (a pg_hba.conf line of its own, first), dropped afterwards.</summary>
    private sealed class PasswordRole : IDisposable
    {
        private readonly string _hba;
        private readonly string _line;

        public PasswordRole(string dataDir, string password)
        {
            Name = $"etlfast_pw_{Guid.NewGuid():N}"[..24];
            _hba = Path.Combine(dataDir, "pg_hba.conf");
            _line = $"host all {Name} 127.0.0.1/32 scram-sha-256";
            using (NpgsqlConnection conn = TestPg.Open())
            {
                TestPg.Execute(conn, $"CREATE ROLE {TestPg.Quote(Name)} LOGIN SUPERUSER PASSWORD '{password}'");
                File.WriteAllText(_hba, _line + "\n" + File.ReadAllText(_hba));
                TestPg.Scalar(conn, "SELECT pg_reload_conf()");
            }
            // The postmaster reloads on its own time: wait until it refuses the role without a password.
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (!Refused())
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "the server did not start asking the new role for a password");
                Thread.Sleep(20);
            }
        }

        public string Name { get; }

        private bool Refused()
        {
            var b = new NpgsqlConnectionStringBuilder(TestPg.ConnectionString) { Username = Name, Pooling = false };
            try
            {
                using var conn = new NpgsqlConnection(b.ConnectionString);
                conn.Open();
                return false;
            }
            catch (NpgsqlException)
            {
                return true;
            }
        }

        public void Dispose()
        {
            File.WriteAllText(_hba, File.ReadAllText(_hba).Replace(_line + "\n", "", StringComparison.Ordinal));
            NpgsqlConnection.ClearAllPools();
            using NpgsqlConnection conn = TestPg.Open();
            TestPg.Scalar(conn, "SELECT pg_reload_conf()");
            // The loads made schemas (perhaps etlfast's own) owned by the role: they go to the test's user.
            TestPg.Execute(conn, $"REASSIGN OWNED BY {TestPg.Quote(Name)} TO CURRENT_USER");
            TestPg.Execute(conn, $"DROP OWNED BY {TestPg.Quote(Name)}");
            TestPg.Execute(conn, $"DROP ROLE {TestPg.Quote(Name)}");
        }
    }
}
