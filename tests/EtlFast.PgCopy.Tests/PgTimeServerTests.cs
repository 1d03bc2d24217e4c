using Npgsql;

namespace EtlFast.PgCopy.Tests;

/// <summary>PgTime's range constants and conversions, checked against what the server accepts and prints.</summary>
public sealed class PgTimeServerTests(TestSchema schema) : IClassFixture<TestSchema>
{
    private static long Micros(long unixMillis)
    {
        Assert.True(PgTime.TryFromUnixMillis(unixMillis, out long micros), $"{unixMillis} should convert");
        return micros;
    }

    [Fact]
    public void Timestamps_load_at_both_range_edges_and_around_both_epochs()
    {
        using var c = schema.Open();
        TestServer.Execute(c, "CREATE TABLE ts (id int, tz timestamptz, plain timestamp)");
        (long Micros, string Text)[] values =
        [
            (PgTime.MinTimestampMicros, "4714-11-24 00:00:00 BC"),
            (PgTime.EndTimestampMicros - 1, "294276-12-31 23:59:59.999999"),
            (Micros(PgTime.MinUnixMillis), "4714-11-24 00:00:00 BC"),
            (Micros(PgTime.MinUnixMillis + 1), "4714-11-24 00:00:00.001 BC"),
            (Micros(PgTime.EndUnixMillis - 1), "294276-12-31 23:59:59.999"),
            (Micros(0), "1970-01-01 00:00:00"),
            (Micros(-1), "1969-12-31 23:59:59.999"),
            (Micros(-86_400_000L * 365 * 70 - 123), "1900-01-17 23:59:59.877"), // pre-1970: 25550 days back is 1900-01-18 (17 leap days), less 123 ms
            (Micros(PgTime.PgEpochUnixMillis - 1), "1999-12-31 23:59:59.999"),
            (Micros(PgTime.PgEpochUnixMillis), "2000-01-01 00:00:00"),
            (Micros(1_700_000_000_123), "2023-11-14 22:13:20.123"),
            (Micros(-62_135_596_800_000), "0001-01-01 00:00:00"),
            (Micros(-62_135_596_800_001), "0001-12-31 23:59:59.999 BC"),
            (PgTime.PositiveInfinityMicros, "infinity"),
            (PgTime.NegativeInfinityMicros, "-infinity"),
        ];
        using var buffer = new CopyBuffer(256);
        buffer.WriteHeader();
        for (int id = 0; id < values.Length; id++)
        {
            buffer.StartRow(3);
            buffer.WriteInt32(id);
            buffer.WriteTimestamp(values[id].Micros);
            buffer.WriteTimestamp(values[id].Micros);
        }
        buffer.WriteTrailer();
        TestServer.Copy(c, "COPY ts (id, tz, plain) FROM STDIN (FORMAT BINARY)", buffer);

        var rows = TestServer.Rows(c, "SELECT tz::text, plain::text FROM ts ORDER BY id");
        Assert.Equal(values.Length, rows.Count);
        for (int id = 0; id < values.Length; id++)
        {
            string text = values[id].Text;
            string withZone = text.Contains("infinity") ? text
                : text.EndsWith(" BC", StringComparison.Ordinal) ? text[..^3] + "+00 BC" : text + "+00";
            Assert.Equal(withZone, rows[id][0]);
            Assert.Equal(text, rows[id][1]);
        }
    }

    [Fact]
    public void Timestamps_within_DateTime_range_read_back_as_the_same_instant()
    {
        using var c = schema.Open();
        TestServer.Execute(c, "CREATE TABLE ts_clr (id int, tz timestamptz)");
        long[] millis = [0, -1, 1, 946_684_799_999, 946_684_800_000, -2_208_988_800_001, 253_402_300_799_999, -62_135_596_800_000, 1_234_567_890_123];
        using var buffer = new CopyBuffer();
        buffer.WriteHeader();
        for (int id = 0; id < millis.Length; id++)
        {
            buffer.StartRow(2);
            buffer.WriteInt32(id);
            buffer.WriteTimestamp(Micros(millis[id]));
        }
        buffer.WriteTrailer();
        TestServer.Copy(c, "COPY ts_clr (id, tz) FROM STDIN (FORMAT BINARY)", buffer);

        using var command = new NpgsqlCommand("SELECT tz, (extract(epoch FROM tz) * 1000)::bigint FROM ts_clr ORDER BY id", c);
        using var reader = command.ExecuteReader();
        foreach (long ms in millis)
        {
            Assert.True(reader.Read());
            Assert.Equal(DateTime.UnixEpoch.AddMilliseconds(ms), reader.GetDateTime(0));
            Assert.Equal(ms, reader.GetInt64(1));
        }
    }

    [Theory]
    [InlineData("timestamptz", PgTime.MinTimestampMicros - 1)]
    [InlineData("timestamptz", PgTime.EndTimestampMicros)]
    [InlineData("timestamp", PgTime.MinTimestampMicros - 1)]
    [InlineData("timestamp", PgTime.EndTimestampMicros)]
    [InlineData("timestamp", long.MaxValue - 1)]
    [InlineData("timestamp", long.MinValue + 1)]
    public void Timestamps_just_outside_the_range_are_refused_by_the_server(string type, long micros)
    {
        using var c = schema.Open();
        string table = "ts_out_" + Guid.NewGuid().ToString("N")[..8];
        TestServer.Execute(c, $"CREATE TABLE {table} (v {type})");
        using var buffer = new CopyBuffer();
        buffer.WriteHeader();
        buffer.StartRow(1);
        buffer.WriteTimestamp(micros);
        buffer.WriteTrailer();
        var error = Assert.Throws<PostgresException>(() => TestServer.Copy(c, $"COPY {table} FROM STDIN (FORMAT BINARY)", buffer));
        Assert.Equal("22008", error.SqlState); // datetime_field_overflow: "timestamp out of range"
    }

    [Fact]
    public void Dates_load_at_both_range_edges_and_from_unix_millis()
    {
        using var c = schema.Open();
        TestServer.Execute(c, "CREATE TABLE dates (id int, d date)");
        static int Days(long unixMillis)
        {
            Assert.True(PgTime.TryDateFromUnixMillis(unixMillis, out int days), $"{unixMillis} should convert");
            return days;
        }
        (int Days, string Text)[] values =
        [
            (PgTime.MinDateDays, "4714-11-24 BC"),
            (PgTime.EndDateDays - 1, "5874897-12-31"),
            (0, "2000-01-01"),
            (-1, "1999-12-31"),
            (Days(0), "1970-01-01"),
            (Days(86_399_999), "1970-01-01"),
            (Days(-1), "1969-12-31"),
            (Days(-86_400_000), "1969-12-31"),
            (Days(-86_400_001), "1969-12-30"),
            (Days(1_700_000_000_123), "2023-11-14"),
            (Days(PgTime.MinUnixMillis), "4714-11-24 BC"),
            (Days(PgTime.EndUnixMillis - 1), "294276-12-31"),
            (PgTime.PositiveInfinityDays, "infinity"),
            (PgTime.NegativeInfinityDays, "-infinity"),
        ];
        using var buffer = new CopyBuffer();
        buffer.WriteHeader();
        for (int id = 0; id < values.Length; id++)
        {
            buffer.StartRow(2);
            buffer.WriteInt32(id);
            buffer.WriteDate(values[id].Days);
        }
        buffer.WriteTrailer();
        TestServer.Copy(c, "COPY dates (id, d) FROM STDIN (FORMAT BINARY)", buffer);
        var rows = TestServer.Rows(c, "SELECT d::text FROM dates ORDER BY id");
        Assert.Equal(values.Select(v => v.Text), rows.Select(r => r[0]));
    }

    [Theory]
    [InlineData(PgTime.MinDateDays - 1)]
    [InlineData(PgTime.EndDateDays)]
    public void Dates_just_outside_the_range_are_refused_by_the_server(int days)
    {
        using var c = schema.Open();
        string table = "d_out_" + Guid.NewGuid().ToString("N")[..8];
        TestServer.Execute(c, $"CREATE TABLE {table} (v date)");
        using var buffer = new CopyBuffer();
        buffer.WriteHeader();
        buffer.StartRow(1);
        buffer.WriteDate(days);
        buffer.WriteTrailer();
        var error = Assert.Throws<PostgresException>(() => TestServer.Copy(c, $"COPY {table} FROM STDIN (FORMAT BINARY)", buffer));
        Assert.Equal("22008", error.SqlState); // "date out of range"
    }
}
