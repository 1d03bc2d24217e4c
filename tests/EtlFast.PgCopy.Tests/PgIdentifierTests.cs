using System.Text;

namespace EtlFast.PgCopy.Tests;

public sealed class PgIdentifierTests
{
    [Theory]
    [InlineData("orders", "\"orders\"")]
    [InlineData("Orders", "\"Orders\"")]
    [InlineData("a\"b", "\"a\"\"b\"")]
    [InlineData("\"", "\"\"\"\"")]
    [InlineData("x\"; drop table users; --", "\"x\"\"; drop table users; --\"")]
    [InlineData("with space", "\"with space\"")]
    public void Quote_wraps_the_name_and_doubles_embedded_quotes(string name, string quoted)
    {
        Assert.Equal(quoted, PgIdentifier.Quote(name));
    }

    [Fact]
    public void Qualify_quotes_both_parts()
    {
        Assert.Equal("\"my \"\"schema\"\"\".\"t\"", PgIdentifier.Qualify("my \"schema\"", "t"));
    }

    [Fact]
    public void Sixty_three_bytes_pass_and_sixty_four_are_refused_counting_utf8_bytes()
    {
        string ascii63 = new('a', 63);
        string utf8At63 = new string('é', 31) + "a"; // 31 * 2 + 1 bytes, 32 chars
        string utf8At64 = new string('é', 32); // 64 bytes, only 32 chars
        Assert.Equal(63, Encoding.UTF8.GetByteCount(utf8At63));
        Assert.Equal("\"" + ascii63 + "\"", PgIdentifier.Quote(ascii63));
        Assert.True(PgIdentifier.IsValid(utf8At63, out _));

        var error = Assert.Throws<ArgumentException>(() => PgIdentifier.Quote(utf8At64));
        Assert.Contains("64 bytes", error.Message, StringComparison.Ordinal);
        Assert.Contains("truncate", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => PgIdentifier.Quote(new string('a', 64)));
        Assert.Throws<ArgumentException>(() => PgIdentifier.Qualify(new string('s', 64), "t"));
        Assert.Throws<ArgumentException>(() => PgIdentifier.Qualify("s", new string('t', 64)));
        Assert.False(PgIdentifier.IsValid("🎉" + new string('a', 60), out string? problem)); // 4 + 60 bytes
        Assert.Contains("64 bytes", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Nul_empty_and_lone_surrogates_are_refused_with_a_reason()
    {
        var nul = Assert.Throws<ArgumentException>(() => PgIdentifier.Quote("bad\0name"));
        Assert.Contains("NUL", nul.Message, StringComparison.Ordinal);
        var empty = Assert.Throws<ArgumentException>(() => PgIdentifier.Quote(""));
        Assert.Contains("empty", empty.Message, StringComparison.Ordinal);
        var surrogate = Assert.Throws<ArgumentException>(() => PgIdentifier.Quote("a\uD800b"));
        Assert.Contains("surrogate", surrogate.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => PgIdentifier.Quote(null!));
    }
}

/// <summary>Hostile and edge-length names used for real: created, loaded by COPY, read back.</summary>
public sealed class PgIdentifierServerTests(TestSchema schema) : IClassFixture<TestSchema>
{
    [Fact]
    public void A_table_with_an_injection_shaped_name_is_just_a_table()
    {
        const string hostile = "x\"; drop table users; --";
        const string hostileColumn = "v\"al'ue; --";
        string hostileSchema = "s\"; drop schema public; -- " + Guid.NewGuid().ToString("N")[..8];
        using var c = schema.Open();
        TestServer.Execute(c, "CREATE TABLE users (id int)");
        TestServer.Execute(c, "INSERT INTO users VALUES (42)");
        TestServer.Execute(c, $"CREATE SCHEMA {PgIdentifier.Quote(hostileSchema)}");
        try
        {
            string table = PgIdentifier.Qualify(hostileSchema, hostile);
            TestServer.Execute(c, $"CREATE TABLE {table} (id int, {PgIdentifier.Quote(hostileColumn)} text, {PgIdentifier.Quote("Ünïcode Name")} text)");

            using var buffer = new CopyBuffer();
            buffer.WriteHeader();
            buffer.StartRow(3);
            buffer.WriteInt32(1);
            buffer.WriteText("first"u8);
            buffer.WriteText("ü"u8);
            buffer.WriteTrailer();
            TestServer.Copy(c, $"COPY {table} (id, {PgIdentifier.Quote(hostileColumn)}, {PgIdentifier.Quote("Ünïcode Name")}) FROM STDIN (FORMAT BINARY)", buffer);

            var rows = TestServer.Rows(c, $"SELECT id::text, {PgIdentifier.Quote(hostileColumn)}, {PgIdentifier.Quote("Ünïcode Name")} FROM {table}");
            Assert.Equal(new string?[] { "1", "first", "ü" }, Assert.Single(rows));
            var catalog = TestServer.Rows(c, $"SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '{hostileSchema.Replace("'", "''")}'");
            Assert.Equal(hostile, Assert.Single(catalog)[0]);
            Assert.Equal("42", Assert.Single(TestServer.Rows(c, "SELECT id::text FROM users"))[0]); // still there
        }
        finally
        {
            TestServer.Execute(c, $"DROP SCHEMA {PgIdentifier.Quote(hostileSchema)} CASCADE");
        }
    }

    [Fact]
    public void A_63_byte_name_is_kept_whole_while_PostgreSQL_would_cut_a_64_byte_one()
    {
        string name63 = new string('é', 31) + "z";
        string name64 = new string('é', 32);
        using var c = schema.Open();
        TestServer.Execute(c, $"CREATE TABLE {PgIdentifier.Quote(name63)} (id int)");
        Assert.Equal(name63, TestServer.Rows(c, $"SELECT relname::text FROM pg_class WHERE relname::text = '{name63}'").Single()[0]);

        // Why Quote refuses 64 bytes: the server would silently keep only 63 (and cut at a character boundary).
        TestServer.Execute(c, $"CREATE TABLE \"{name64}\" (id int)");
        Assert.Empty(TestServer.Rows(c, $"SELECT 1::text FROM pg_class WHERE relname::text = '{name64}'"));
        Assert.Single(TestServer.Rows(c, $"SELECT 1::text FROM pg_class WHERE relname::text = '{new string('é', 31)}' AND relnamespace = '\"{schema.Name}\"'::regnamespace"));
        Assert.Throws<ArgumentException>(() => PgIdentifier.Quote(name64));
    }
}
