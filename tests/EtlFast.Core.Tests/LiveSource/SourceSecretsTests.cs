using System.Text.Json;
using EtlFast.Cli.Commands;
using EtlFast.Core.Tests.Faults;
using EtlFast.Core.Tests.TestSupport;
using Npgsql;

namespace EtlFast.Core.Tests.LiveSource;

using WireServer = EtlFast.WireServer.WireServer;

/// <summary>
/// A MongoDB URI and password kept off the command line (issue #12): <c>--config FILE</c> (mongodump's
/// spelling: <c>uri:</c> and/or <c>password:</c>) and ETLFAST_FROM, for load, verify and infer, against
/// the wire server with a user that SASL PLAIN checks, so the rows arrive only if the password reached
/// the driver; the password appears in no output, no --dry-run and no summary file.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SourceSecretsTests : IDisposable
{
    private const string User = "loader";
    private const string Password = "Mg-7zK@secret/word";
    private const string PasswordEncoded = "Mg-7zK%40secret%2Fword";
    private const int Users = 40;
    private readonly FaultScope _scope = new();

    public void Dispose() => _scope.Dispose();

    private (WireServer Server, string UserUri) Server()
    {
        string bson = _scope.Dir.Write("users.bson", RejectSeed.Generate(Users, 4242));
        WireServer server = LiveKit.SeedServer(bson);
        server.PlainUser = (User, Password);
        return (server, $"mongodb://{User}@127.0.0.1:{server.Port}/sample_db?directConnection=true&authMechanism=PLAIN&authSource=$external&serverSelectionTimeoutMS=5000");
    }

    private string Config(string name, string text)
    {
        string path = _scope.Dir.Write(name, text);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    private static void AssertNoPassword(CliResult r, string? summaryPath = null)
    {
        string all = r.Out + r.Err + (summaryPath is null ? "" : File.ReadAllText(summaryPath));
        foreach (string secret in new[] { Password, PasswordEncoded, "secret" })
        {
            Assert.False(all.Contains(secret, StringComparison.Ordinal), $"the output shows the password (or «{secret}»)\n{r}");
        }
    }

    private static long Rows(string schema)
    {
        using NpgsqlConnection conn = TestPg.Open();
        return PgTable.Count(conn, schema, "users");
    }

    [Fact]
    public async Task A_config_file_gives_the_uri_and_password_to_load_verify_and_infer_without_printing_it()
    {
        (WireServer server, string uri) = Server();
        await using (server)
        {
            string config = Config("mongo.yaml", $"# as mongodump --config reads it\nuri: {uri}\npassword: \"{Password}\"\n");
            string schema = _scope.NewSchema("cfg_load");
            string summary = _scope.Dir.File("summary.json");

            CliResult load = Etlfast.Run(["load", "--config", config, "-m", FaultSeed.Mapping, "--to", TestPg.ConnectionString, "--schema", schema,
                "--summary-json", summary, "--progress", "json"]).Ok();
            Assert.Equal(Users, Rows(schema));
            AssertNoPassword(load, summary);
            Assert.StartsWith("mongodb://127.0.0.1:", JsonDocument.Parse(File.ReadAllText(summary)).RootElement.GetProperty("source").GetString(), StringComparison.Ordinal);

            // The password alone in the file, the user in --from.
            string passwordOnly = Config("password.yaml", $"password: '{Password}'\n");
            CliResult verify = Etlfast.Run(["verify", "--from", uri, "--config", passwordOnly, "-m", FaultSeed.Mapping, "--to", TestPg.ConnectionString, "--schema", schema]).Ok();
            Assert.Contains("tables match their source", verify.Out, StringComparison.Ordinal);
            AssertNoPassword(verify);

            CliResult dry = Etlfast.Run(["load", "--from", uri, "--config", passwordOnly, "-m", FaultSeed.Mapping, "--to", TestPg.ConnectionString,
                "--schema", _scope.NewSchema("cfg_dry"), "--dry-run"]).Ok();
            AssertNoPassword(dry);

            CliResult infer = Etlfast.Run(["infer", "--config", config, "-c", "users", "--sample", "10"]).Ok();
            Assert.Contains("\"collection\": \"users\"", infer.Out, StringComparison.Ordinal);
            AssertNoPassword(infer);
        }
    }

    [Fact]
    public async Task ETLFAST_FROM_gives_the_source_when_from_is_left_out()
    {
        (WireServer server, string uri) = Server();
        await using (server)
        {
            string withPassword = uri.Replace($"{User}@", $"{User}:{PasswordEncoded}@", StringComparison.Ordinal);
            var env = new Dictionary<string, string> { [SourceSecrets.Variable] = withPassword };
            string schema = _scope.NewSchema("env_load");
            string summary = _scope.Dir.File("env.json");

            CliResult load = Etlfast.Run(["load", "-m", FaultSeed.Mapping, "--to", TestPg.ConnectionString, "--schema", schema, "--summary-json", summary], env: env).Ok();
            Assert.Equal(Users, Rows(schema));
            AssertNoPassword(load, summary);

            CliResult infer = Etlfast.Run(["infer", "-c", "users", "--sample", "5"], env: env).Ok();
            AssertNoPassword(infer);

            // --from wins over the variable, as a libpq keyword wins over PG*: here a file that does not exist.
            Etlfast.Run(["load", "--from", _scope.Dir.File("none.bson"), "-m", FaultSeed.Mapping, "--to", TestPg.ConnectionString, "--schema", schema], env: env)
                .Fails(2, "does not exist");
        }
    }

    [Fact]
    public async Task A_wrong_password_is_a_connection_error_that_does_not_print_it()
    {
        (WireServer server, string uri) = Server();
        await using (server)
        {
            const string Wrong = "Wr0ng-secret-pw";
            string config = Config("wrong.yaml", $"uri: {uri}\npassword: {Wrong}\n");
            CliResult r = Etlfast.Run(["load", "--config", config, "-m", FaultSeed.Mapping, "--to", TestPg.ConnectionString, "--schema", _scope.NewSchema("cfg_wrong")]);
            r.Fails(3, "127.0.0.1");
            Assert.DoesNotContain(Wrong, r.Out + r.Err, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_config_file_is_refused_with_other_keys_twice_a_source_or_a_password_without_a_user_and_warned_about_when_others_can_read_it()
    {
        string mapping = FaultSeed.Mapping;
        string[] Load(string config, params string[] extra) => ["load", "--config", config, "-m", mapping, "--to", TestPg.ConnectionString, .. extra];

        Etlfast.Run(Load(Config("ssl.yaml", "sslPEMKeyPassword: x\n"))).Fails(2, "line 1: unknown key \"sslPEMKeyPassword\"", "only \"uri\" and \"password\"");
        Etlfast.Run(Load(Config("uri.yaml", "uri: mongodb://h/db\n"), "--from", "x.bson")).Fails(2, "both name the source");
        Etlfast.Run(Load(Config("nouser.yaml", $"uri: mongodb://h/db\npassword: {Password}\n"))).Fails(2, "needs a user name in the URI");
        Etlfast.Run(Load(Config("twice.yaml", $"password: {Password}\n"), "--from", $"mongodb://u:{PasswordEncoded}@h/db")).Fails(2, "gives another");
        Etlfast.Run(Load(_scope.Dir.File("missing.yaml"))).Fails(2, "cannot be read");

        string shared = _scope.Dir.Write("shared.yaml", "uri: mongodb://127.0.0.1:1/db?serverSelectionTimeoutMS=10\n");
        File.SetUnixFileMode(shared, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        CliResult dry = Etlfast.Run(Load(shared, "--dry-run"));
        Assert.Contains($"warning: --config \"{shared}\" can be read or written by other users (mode 644): chmod 600 it", dry.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_command_that_reads_a_source_documents_the_config_file_the_variable_and_the_service_file()
    {
        foreach (string command in new[] { "load", "verify", "infer" })
        {
            string help = Etlfast.Run([command, "--help"]).Ok().Out;
            Assert.Contains("--config FILE          as mongodump's --config", help, StringComparison.Ordinal);
            Assert.Contains($"{SourceSecrets.Variable}           environment: the source", help, StringComparison.Ordinal);
            if (command != "infer")
            {
                Assert.Contains("\"service=NAME\" (or ?service=NAME, or PGSERVICE)", help, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void The_password_goes_into_the_user_info_and_every_other_byte_of_the_uri_stays()
    {
        const string Tls = "mongodb://u@h1:27017,h2:27018/db?tls=true&tlsCAFile=/etc/ca.pem&tlsCertificateKeyFile=/k.pem&authSource=admin&replicaSet=rs0";
        Assert.Equal("mongodb://u:" + PasswordEncoded + "@h1:27017,h2:27018/db?tls=true&tlsCAFile=/etc/ca.pem&tlsCertificateKeyFile=/k.pem&authSource=admin&replicaSet=rs0",
            SourceSecrets.WithPassword(Tls, Password, "c.yaml"));
        Assert.Equal("mongodb+srv://u%40corp:" + PasswordEncoded + "@cluster0.example.net/?tls=true",
            SourceSecrets.WithPassword("mongodb+srv://u%40corp@cluster0.example.net/?tls=true", Password, "c.yaml"));
    }
}
