using Npgsql;

namespace EtlFast.Core.Tests.TestSupport;

/// <summary>
/// The PostgreSQL server the integration tests run against: ETLFAST_TEST_PG (an Npgsql connection
/// string, set by scripts/pg-shell.sh). A missing variable fails the test; it never skips it.
/// </summary>
internal static class TestPg
{
    public const string Variable = "ETLFAST_TEST_PG";

    /// <summary>The connection string exactly as the environment gives it (what tests pass to <c>--to</c>).</summary>
    public static string ConnectionString
    {
        get
        {
            string? cs = Environment.GetEnvironmentVariable(Variable);
            if (string.IsNullOrWhiteSpace(cs))
            {
                Assert.Fail($"{Variable} is not set: these tests need a PostgreSQL server. Run them with " +
                    "scripts/pg-shell.sh dotnet test tests/EtlFast.Core.Tests (it starts a throwaway server and sets the variable).");
            }
            return cs!;
        }
    }

    /// <summary>An open connection of the test's own (error details on, so failures say which row).</summary>
    public static NpgsqlConnection Open()
    {
        var builder = new NpgsqlConnectionStringBuilder(ConnectionString) { IncludeErrorDetail = true, CommandTimeout = 120 };
        var conn = new NpgsqlConnection(builder.ConnectionString);
        conn.Open();
        return conn;
    }

    /// <summary>A schema name no other test uses: lower case, a prefix that says which test, a random tail.</summary>
    public static string UniqueSchema(string prefix) => $"t_{prefix}_{Guid.NewGuid():N}"[..Math.Min(63, prefix.Length + 15)].ToLowerInvariant();

    public static void Execute(NpgsqlConnection conn, string sql)
    {
        using var cmd = new NpgsqlCommand(sql, conn);
        cmd.ExecuteNonQuery();
    }

    public static object? Scalar(NpgsqlConnection conn, string sql, params object[] parameters)
    {
        using var cmd = new NpgsqlCommand(sql, conn);
        foreach (object p in parameters)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = p });
        }
        return cmd.ExecuteScalar();
    }

    public static void DropSchema(string schema)
    {
        using NpgsqlConnection conn = Open();
        Execute(conn, $"DROP SCHEMA IF EXISTS {Quote(schema)} CASCADE");
    }

    /// <summary>Identifier quoting written here, not borrowed from src/, so a quoting bug there cannot hide in both.</summary>
    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    public static string Qualify(string schema, string table) => Quote(schema) + "." + Quote(table);
}
