using EtlFast.Core.Tests.TestSupport;
using Npgsql;

namespace EtlFast.Core.Tests.Faults;

/// <summary>
/// What one fault test owns: unique schemas (dropped afterwards, with the checkpoint rows of their
/// runs), a scratch folder, and unique PostgreSQL application names that tell its loader's
/// connections apart from every other test's.
/// </summary>
internal sealed class FaultScope : IDisposable
{
    private readonly List<string> _schemas = [];

    public ScratchDir Dir { get; } = new("etlfast-faults-");

    public string NewSchema(string prefix)
    {
        string s = TestPg.UniqueSchema(prefix);
        lock (_schemas)
        {
            _schemas.Add(s);
        }
        return s;
    }

    /// <summary>A lower-case application_name no other test uses.</summary>
    public static string NewAppName(string prefix) => $"etlfast_{prefix}_{Guid.NewGuid():N}"[..Math.Min(63, prefix.Length + 20)];

    /// <summary><c>--to</c>: the test server, with this application name on every connection the loader opens.</summary>
    public static string Target(string appName) => TestPg.ConnectionString.TrimEnd(';') + ";Application Name=" + appName;

    public void Dispose()
    {
        foreach (string s in _schemas)
        {
            DropWithRuns(s);
        }
        Dir.Dispose();
    }

    public static void DropWithRuns(string schema)
    {
        try
        {
            using NpgsqlConnection conn = TestPg.Open();
            if (TestPg.Scalar(conn, "SELECT to_regclass('etlfast.runs')::text") is string)
            {
                using var cmd = new NpgsqlCommand("DELETE FROM etlfast.runs WHERE target_schema = $1", conn);
                cmd.Parameters.Add(new NpgsqlParameter { Value = schema });
                cmd.ExecuteNonQuery();
            }
            TestPg.Execute(conn, $"DROP SCHEMA IF EXISTS {TestPg.Quote(schema)} CASCADE");
        }
        catch (NpgsqlException)
        {
            // cleanup is best effort: a server restarted by a test may refuse a pooled connection once
            NpgsqlConnection.ClearAllPools();
        }
    }
}
