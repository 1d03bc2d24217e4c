using System.Globalization;
using Npgsql;

namespace EtlFast.PgCopy.Tests;

/// <summary>The PostgreSQL the tests run against: ETLFAST_TEST_PG, required (a missing server fails, never skips).</summary>
internal static class TestServer
{
    public static string ConnectionString
    {
        get
        {
            string? value = Environment.GetEnvironmentVariable("ETLFAST_TEST_PG");
            if (string.IsNullOrWhiteSpace(value))
            {
                throw new InvalidOperationException(
                    "ETLFAST_TEST_PG is not set: these tests need a PostgreSQL server. "
                    + "Run them with `scripts/pg-shell.sh dotnet test tests/EtlFast.PgCopy.Tests`.");
            }
            return value;
        }
    }

    public static NpgsqlConnection Open(string? searchPath = null)
    {
        var connection = new NpgsqlConnection(ConnectionString);
        connection.Open();
        // Fixed output settings so text comparisons do not depend on the server's defaults.
        Execute(connection, "SET TimeZone TO 'UTC'; SET DateStyle TO 'ISO, YMD'; SET extra_float_digits TO 1");
        if (searchPath is not null)
        {
            Execute(connection, $"SET search_path TO \"{searchPath}\"");
        }
        return connection;
    }

    public static void Execute(NpgsqlConnection connection, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    public static T Scalar<T>(NpgsqlConnection connection, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection);
        object? value = command.ExecuteScalar();
        return (T)Convert.ChangeType(value, typeof(T), CultureInfo.InvariantCulture)!;
    }

    /// <summary>Sends a finished COPY stream the way EtlFast does: raw binary COPY, one write, dispose.</summary>
    public static void Copy(NpgsqlConnection connection, string copySql, CopyBuffer buffer)
    {
        using var stream = connection.BeginRawBinaryCopy(copySql);
        stream.Write(buffer.WrittenSpan);
    }

    /// <summary>All rows of a query, each as its columns' text (null for SQL NULL).</summary>
    public static List<string?[]> Rows(NpgsqlConnection connection, string sql)
    {
        var rows = new List<string?[]>();
        using var command = new NpgsqlCommand(sql, connection);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var row = new string?[reader.FieldCount];
            for (int i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetString(i);
            }
            rows.Add(row);
        }
        return rows;
    }
}

/// <summary>A schema of its own for one test class, dropped afterwards, so classes can run in parallel.</summary>
public sealed class TestSchema : IDisposable
{
    public string Name { get; } = "pgcopy_" + Guid.NewGuid().ToString("N")[..12];

    public TestSchema()
    {
        using var connection = TestServer.Open();
        TestServer.Execute(connection, $"CREATE SCHEMA \"{Name}\"");
    }

    public NpgsqlConnection Open() => TestServer.Open(Name);

    public void Dispose()
    {
        using var connection = TestServer.Open();
        TestServer.Execute(connection, $"DROP SCHEMA IF EXISTS \"{Name}\" CASCADE");
    }
}
