using System.Text;
using Npgsql;

namespace EtlFast.PgCopy.Tests;

/// <summary>Each CopyBuffer writer, sent to a real server by raw binary COPY and read back.</summary>
public sealed class CopyBufferServerTests(TestSchema schema) : IClassFixture<TestSchema>
{
    private static CopyBuffer NewStream()
    {
        var buffer = new CopyBuffer(256); // small on purpose: growth is exercised everywhere
        buffer.WriteHeader();
        return buffer;
    }

    [Fact]
    public void Integers_at_their_extremes_load_exactly()
    {
        using var c = schema.Open();
        TestServer.Execute(c, "CREATE TABLE ints (id int, s smallint, i int, b bigint)");
        (short S, int I, long B)[] values =
        [
            (short.MinValue, int.MinValue, long.MinValue),
            (short.MaxValue, int.MaxValue, long.MaxValue),
            (0, 0, 0),
            (-1, -1, -1),
            (0x1234, 0x12345678, 0x123456789ABCDEF0),
        ];
        using var buffer = NewStream();
        for (int id = 0; id < values.Length; id++)
        {
            buffer.StartRow(4);
            buffer.WriteInt32(id);
            buffer.WriteInt16(values[id].S);
            buffer.WriteInt32(values[id].I);
            buffer.WriteInt64(values[id].B);
        }
        buffer.WriteTrailer();
        Assert.Equal(values.Length, buffer.Rows);
        TestServer.Copy(c, "COPY ints (id, s, i, b) FROM STDIN (FORMAT BINARY)", buffer);

        using var command = new NpgsqlCommand("SELECT s, i, b, s::text, b::text FROM ints ORDER BY id", c);
        using var reader = command.ExecuteReader();
        foreach (var v in values)
        {
            Assert.True(reader.Read());
            Assert.Equal(v.S, reader.GetInt16(0));
            Assert.Equal(v.I, reader.GetInt32(1));
            Assert.Equal(v.B, reader.GetInt64(2));
            Assert.Equal(v.S.ToString(), reader.GetString(3));
            Assert.Equal(v.B.ToString(), reader.GetString(4));
        }
        Assert.False(reader.Read());
    }

    [Fact]
    public void Floats_keep_every_bit_including_nan_infinities_negative_zero_and_subnormals()
    {
        using var c = schema.Open();
        TestServer.Execute(c, "CREATE TABLE floats (id int, r real, d double precision)");
        (float R, double D)[] values =
        [
            (float.NaN, double.NaN),
            (float.PositiveInfinity, double.PositiveInfinity),
            (float.NegativeInfinity, double.NegativeInfinity),
            (-0.0f, -0.0),
            (float.Epsilon, double.Epsilon), // smallest subnormals
            (-float.Epsilon, -double.Epsilon),
            (1.1754942E-38f, 2.2250738585072009E-308), // largest subnormals
            (float.MaxValue, double.MaxValue),
            (float.MinValue, double.MinValue),
            (0.1f, 0.1),
            (1f / 3, 1.0 / 3),
        ];
        using var buffer = NewStream();
        for (int id = 0; id < values.Length; id++)
        {
            buffer.StartRow(3);
            buffer.WriteInt32(id);
            buffer.WriteFloat4(values[id].R);
            buffer.WriteFloat8(values[id].D);
        }
        buffer.WriteTrailer();
        TestServer.Copy(c, "COPY floats (id, r, d) FROM STDIN (FORMAT BINARY)", buffer);

        using var command = new NpgsqlCommand("SELECT r, d, r::text, d::text FROM floats ORDER BY id", c);
        using var reader = command.ExecuteReader();
        foreach (var v in values)
        {
            Assert.True(reader.Read());
            Assert.Equal(BitConverter.SingleToInt32Bits(v.R), BitConverter.SingleToInt32Bits(reader.GetFloat(0)));
            Assert.Equal(BitConverter.DoubleToInt64Bits(v.D), BitConverter.DoubleToInt64Bits(reader.GetDouble(1)));
            // The server's own reading of the value, not just the bits echoed back.
            Assert.Equal(PgFloatText(v.R), reader.GetString(2));
            Assert.Equal(PgFloatText(v.D), reader.GetString(3));
        }
    }

    private static string PgFloatText(double value) => value switch
    {
        double.NaN => "NaN",
        double.PositiveInfinity => "Infinity",
        double.NegativeInfinity => "-Infinity",
        _ => value.ToString("R").Replace("E+", "e+").Replace("E-", "e-"),
    };

    private static string PgFloatText(float value) => value switch
    {
        float.NaN => "NaN",
        float.PositiveInfinity => "Infinity",
        float.NegativeInfinity => "-Infinity",
        _ => value.ToString("R").Replace("E+", "e+").Replace("E-", "e-"),
    };

    [Fact]
    public void Booleans_load()
    {
        using var c = schema.Open();
        TestServer.Execute(c, "CREATE TABLE bools (id int, v boolean)");
        using var buffer = NewStream();
        buffer.StartRow(2);
        buffer.WriteInt32(1);
        buffer.WriteBoolean(true);
        buffer.StartRow(2);
        buffer.WriteInt32(2);
        buffer.WriteBoolean(false);
        buffer.WriteTrailer();
        TestServer.Copy(c, "COPY bools (id, v) FROM STDIN (FORMAT BINARY)", buffer);
        var rows = TestServer.Rows(c, "SELECT v::text FROM bools ORDER BY id");
        Assert.Equal(["true", "false"], rows.Select(r => r[0]));
    }

    [Fact]
    public void Text_keeps_multibyte_utf8_exactly()
    {
        using var c = schema.Open();
        TestServer.Execute(c, "CREATE TABLE texts (id int, t text, v varchar(100))");
        string[] values = ["", "plain", "héllo wörld", "日本語のテキスト", "emoji 🎉👍🏽", "quote \" back\\slash \t tab \n newline", new string('x', 70_000)];
        using var buffer = NewStream();
        for (int id = 0; id < values.Length; id++)
        {
            byte[] utf8 = Encoding.UTF8.GetBytes(values[id]);
            buffer.StartRow(3);
            buffer.WriteInt32(id);
            buffer.WriteText(utf8);
            if (values[id].Length <= 100)
            {
                buffer.WriteText(utf8);
            }
            else
            {
                buffer.WriteNull();
            }
        }
        buffer.WriteTrailer();
        TestServer.Copy(c, "COPY texts (id, t, v) FROM STDIN (FORMAT BINARY)", buffer);

        var rows = TestServer.Rows(c, "SELECT t, v, octet_length(t)::text FROM texts ORDER BY id");
        Assert.Equal(values.Length, rows.Count);
        for (int id = 0; id < values.Length; id++)
        {
            Assert.Equal(values[id], rows[id][0]);
            Assert.Equal(values[id].Length <= 100 ? values[id] : null, rows[id][1]);
            Assert.Equal(Encoding.UTF8.GetByteCount(values[id]).ToString(), rows[id][2]);
        }
    }

    [Fact]
    public void Text_written_through_the_IBufferWriter_interface_loads()
    {
        using var c = schema.Open();
        TestServer.Execute(c, "CREATE TABLE direct (id int, t text)");
        string[] values = ["ünïcödé", new string('é', 5_000)];
        using var buffer = NewStream();
        for (int id = 0; id < values.Length; id++)
        {
            buffer.StartRow(2);
            buffer.WriteInt32(id);
            int mark = buffer.BeginField();
            int written = Encoding.UTF8.GetBytes(values[id], buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(values[id].Length)));
            buffer.Advance(written);
            buffer.EndField(mark);
        }
        buffer.WriteTrailer();
        TestServer.Copy(c, "COPY direct (id, t) FROM STDIN (FORMAT BINARY)", buffer);
        var rows = TestServer.Rows(c, "SELECT t FROM direct ORDER BY id");
        Assert.Equal(values, rows.Select(r => r[0]));
    }

    [Fact]
    public void Bytea_keeps_every_byte_value()
    {
        using var c = schema.Open();
        TestServer.Execute(c, "CREATE TABLE blobs (id int, b bytea)");
        byte[] all = new byte[256];
        for (int i = 0; i < all.Length; i++)
        {
            all[i] = (byte)i;
        }
        byte[][] values = [[], all, [0, 0, 0]];
        using var buffer = NewStream();
        for (int id = 0; id < values.Length; id++)
        {
            buffer.StartRow(2);
            buffer.WriteInt32(id);
            buffer.WriteBytes(values[id]);
        }
        buffer.WriteTrailer();
        TestServer.Copy(c, "COPY blobs (id, b) FROM STDIN (FORMAT BINARY)", buffer);

        using var command = new NpgsqlCommand("SELECT b, encode(b, 'hex') FROM blobs ORDER BY id", c);
        using var reader = command.ExecuteReader();
        foreach (byte[] v in values)
        {
            Assert.True(reader.Read());
            Assert.Equal(v, reader.GetFieldValue<byte[]>(0));
            Assert.Equal(Convert.ToHexStringLower(v), reader.GetString(1));
        }
    }

    [Fact]
    public void Uuid_bytes_are_taken_in_rfc4122_order()
    {
        using var c = schema.Open();
        TestServer.Execute(c, "CREATE TABLE uuids (id int, u uuid)");
        string[] values = ["00112233-4455-6677-8899-aabbccddeeff", "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"];
        using var buffer = NewStream();
        for (int id = 0; id < values.Length; id++)
        {
            buffer.StartRow(2);
            buffer.WriteInt32(id);
            buffer.WriteUuid(Convert.FromHexString(values[id].Replace("-", "")));
        }
        buffer.WriteTrailer();
        TestServer.Copy(c, "COPY uuids (id, u) FROM STDIN (FORMAT BINARY)", buffer);
        var rows = TestServer.Rows(c, "SELECT u::text FROM uuids ORDER BY id");
        Assert.Equal(values, rows.Select(r => r[0]));
    }

    [Fact]
    public void Jsonb_is_version_byte_then_text_whether_built_by_hand_or_by_WriteJsonb()
    {
        using var c = schema.Open();
        TestServer.Execute(c, "CREATE TABLE docs (id int, j jsonb)");
        string[] values = ["{\"name\": \"Zoë\", \"n\": [1, 2.5, null, true]}", "[]", "\"just a string\"", "{\"nested\": {\"deep\": {\"k\": \"日本\"}}}"];
        using var buffer = NewStream();
        for (int id = 0; id < values.Length; id++)
        {
            byte[] utf8 = Encoding.UTF8.GetBytes(values[id]);
            buffer.StartRow(2);
            buffer.WriteInt32(id);
            if (id % 2 == 0)
            {
                int mark = buffer.BeginField();
                buffer.WriteByte(1);
                buffer.WriteRaw(utf8);
                buffer.EndField(mark);
            }
            else
            {
                buffer.WriteJsonb(utf8);
            }
        }
        buffer.WriteTrailer();
        TestServer.Copy(c, "COPY docs (id, j) FROM STDIN (FORMAT BINARY)", buffer);

        var rows = TestServer.Rows(c, "SELECT j::text, j->>'name', j #>> '{nested,deep,k}', jsonb_typeof(j) FROM docs ORDER BY id");
        Assert.Equal("{\"n\": [1, 2.5, null, true], \"name\": \"Zoë\"}", rows[0][0]);
        Assert.Equal("Zoë", rows[0][1]);
        Assert.Equal("[]", rows[1][0]);
        Assert.Equal("array", rows[1][3]);
        Assert.Equal("\"just a string\"", rows[2][0]);
        Assert.Equal("string", rows[2][3]);
        Assert.Equal("日本", rows[3][2]);
    }

    [Fact]
    public void Nulls_load_into_every_type()
    {
        using var c = schema.Open();
        TestServer.Execute(c, "CREATE TABLE nullable (id int, a smallint, b bigint, d double precision, t text, u uuid, ts timestamptz, dt date, n numeric, j jsonb, bo boolean)");
        using var buffer = NewStream();
        buffer.StartRow(11);
        buffer.WriteInt32(7);
        for (int i = 0; i < 10; i++)
        {
            buffer.WriteNull();
        }
        buffer.WriteTrailer();
        TestServer.Copy(c, "COPY nullable FROM STDIN (FORMAT BINARY)", buffer);
        var rows = TestServer.Rows(c, "SELECT id::text, a::text, b::text, d::text, t, u::text, ts::text, dt::text, n::text, j::text, bo::text FROM nullable");
        Assert.Single(rows);
        Assert.Equal("7", rows[0][0]);
        Assert.All(rows[0].Skip(1), Assert.Null);
    }

    [Fact]
    public void Many_rows_across_several_megabytes_of_buffer_growth_load_intact()
    {
        const int count = 150_000;
        using var c = schema.Open();
        TestServer.Execute(c, "CREATE TABLE many (id int, t text, b bigint)");
        using var buffer = NewStream();
        Span<byte> scratch = stackalloc byte[64];
        long expectedTextBytes = 0;
        for (int id = 0; id < count; id++)
        {
            buffer.StartRow(3);
            buffer.WriteInt32(id);
            int n = Encoding.UTF8.GetBytes($"row {id} · {id * 7919L}", scratch);
            expectedTextBytes += n;
            buffer.WriteText(scratch[..n]);
            buffer.WriteInt64(id * 1_000_003L);
        }
        buffer.WriteTrailer();
        Assert.True(buffer.Length > 5_000_000, $"the stream should span several MB, was {buffer.Length} bytes");
        Assert.Equal(count, buffer.Rows);
        TestServer.Copy(c, "COPY many (id, t, b) FROM STDIN (FORMAT BINARY)", buffer);

        var summary = TestServer.Rows(c, "SELECT count(*)::text, sum(id)::text, sum(b)::text, sum(octet_length(t))::text, "
            + "count(*) FILTER (WHERE t <> 'row ' || id || ' · ' || (id::bigint * 7919))::text FROM many")[0];
        Assert.Equal(count.ToString(), summary[0]);
        Assert.Equal(((long)count * (count - 1) / 2).ToString(), summary[1]);
        Assert.Equal(((long)count * (count - 1) / 2 * 1_000_003L).ToString(), summary[2]);
        Assert.Equal(expectedTextBytes.ToString(), summary[3]);
        Assert.Equal("0", summary[4]);
    }

    [Fact]
    public void Truncate_drops_a_partial_row_and_the_stream_stays_valid()
    {
        using var c = schema.Open();
        TestServer.Execute(c, "CREATE TABLE partial (id int, t text, b bigint)");
        using var buffer = NewStream();
        buffer.StartRow(3);
        buffer.WriteInt32(1);
        buffer.WriteText("kept"u8);
        buffer.WriteInt64(10);

        int length = buffer.Length;
        int rows = buffer.Rows;
        buffer.StartRow(3);
        buffer.WriteInt32(2);
        buffer.WriteText(Encoding.UTF8.GetBytes(new string('r', 100_000))); // forces growth mid-row
        Assert.Equal(2, buffer.Rows);
        buffer.Truncate(length, rows); // the third field turned out to be unconvertible
        Assert.Equal(length, buffer.Length);
        Assert.Equal(1, buffer.Rows);

        buffer.StartRow(3);
        buffer.WriteInt32(3);
        buffer.WriteText("also kept"u8);
        buffer.WriteInt64(30);
        buffer.WriteTrailer();
        TestServer.Copy(c, "COPY partial (id, t, b) FROM STDIN (FORMAT BINARY)", buffer);

        var all = TestServer.Rows(c, "SELECT id::text, t, b::text FROM partial ORDER BY id");
        Assert.Equal(2, all.Count);
        Assert.Equal(new string?[] { "1", "kept", "10" }, all[0]);
        Assert.Equal(new string?[] { "3", "also kept", "30" }, all[1]);
    }

    [Fact]
    public void Reset_reuses_the_buffer_for_a_second_stream()
    {
        using var c = schema.Open();
        TestServer.Execute(c, "CREATE TABLE reused (id int)");
        using var buffer = NewStream();
        buffer.StartRow(1);
        buffer.WriteInt32(1);
        buffer.WriteTrailer();
        TestServer.Copy(c, "COPY reused FROM STDIN (FORMAT BINARY)", buffer);

        buffer.Reset();
        Assert.Equal(0, buffer.Length);
        Assert.Equal(0, buffer.Rows);
        buffer.WriteHeader();
        buffer.StartRow(1);
        buffer.WriteInt32(2);
        buffer.WriteTrailer();
        TestServer.Copy(c, "COPY reused FROM STDIN (FORMAT BINARY)", buffer);

        Assert.Equal(["1", "2"], TestServer.Rows(c, "SELECT id::text FROM reused ORDER BY id").Select(r => r[0]));
    }

    [Fact]
    public void A_wrong_field_count_is_refused_by_the_server()
    {
        // Guards the harness itself: a malformed stream must fail, not load something.
        using var c = schema.Open();
        TestServer.Execute(c, "CREATE TABLE strict (id int, b bigint)");
        using var buffer = NewStream();
        buffer.StartRow(1);
        buffer.WriteInt32(1);
        buffer.WriteTrailer();
        var error = Assert.Throws<PostgresException>(() => TestServer.Copy(c, "COPY strict (id, b) FROM STDIN (FORMAT BINARY)", buffer));
        Assert.Equal("22P04", error.SqlState); // bad_copy_file_format
    }
}
