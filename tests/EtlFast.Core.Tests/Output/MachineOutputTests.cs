using System.Text.Json;
using EtlFast.Core.Tests.Faults;
using EtlFast.Core.Tests.TestSupport;
using Npgsql;

namespace EtlFast.Core.Tests.Output;

/// <summary>
/// What scripts read from the real binary (<c>dotnet etlfast.dll</c>): <c>--progress json</c> lines on
/// stderr and the <c>--summary-json</c> file, on a load that works and on loads that fail, checked
/// against what PostgreSQL holds afterwards. No password may appear in either.
/// </summary>
public sealed class MachineOutputTests : IDisposable
{
    private const string Password = "pw-Never-Print-Me-7";
    private static readonly string[] CountFields =
        ["event", "elapsed_s", "documents", "rows", "bytes", "rows_per_s", "bytes_per_s", "eta_s", "source_bytes_read", "source_bytes_done", "source_bytes_total", "tables"];

    private readonly FaultScope _scope = new();

    public void Dispose() => _scope.Dispose();

    /// <summary>The test server trusts local connections, so a password in --to is accepted and unused: it must still never be printed.</summary>
    private static string TargetWithPassword => TestPg.ConnectionString.TrimEnd(';') + ";Password=" + Password;

    /// <summary>40 things of ~100 KB: 4 chunks of 1 MiB, loaded by one worker.</summary>
    private static ThingsFile Things(int count = 40)
    {
        var file = new ThingsFile();
        for (int i = 1; i <= count; i++)
        {
            file.AddGood(i, 100_000);
        }
        return file;
    }

    private EtlfastProcess Load(string from, string schema, string summary, string to, params string[] extra) => EtlfastProcess.Start(
        ["load", "--from", from, "-m", ThingsFile.WriteMapping(_scope.Dir), "--to", to, "--schema", schema,
         "--chunk-size", "1", "-j", "1", "--progress", "json", "--progress-interval", "0.05", "--summary-json", summary,
         "--reject-dir", _scope.Dir.File("rejects"), .. extra]);

    [Fact]
    public void Json_progress_lines_and_the_summary_file_agree_with_postgres()
    {
        string schema = _scope.NewSchema("json_ok");
        string summaryPath = _scope.Dir.File("out/summary.json");
        Directory.CreateDirectory(Path.GetDirectoryName(summaryPath)!);
        string from = Things().Write(_scope.Dir);
        // Held after the first of its 4 chunks until a periodic line has reported from the middle of the
        // load (with the file's size, so with an ETA), however fast the machine finishes the rest.
        using var hold = CheckpointHold.From(CheckpointHold.RunIdOf(from, ThingsFile.WriteMapping(_scope.Dir), schema), 1);
        using EtlfastProcess p = Load(from, schema, summaryPath, TargetWithPassword);
        WaitForLine(p, e => e.GetProperty("event").GetString() == "progress" && e.GetProperty("documents").GetInt64() > 0
            && e.GetProperty("source_bytes_total").ValueKind == JsonValueKind.Number && e.GetProperty("eta_s").ValueKind == JsonValueKind.Number);
        hold.Release();
        int exit = p.WaitForExit(TimeSpan.FromSeconds(90));

        Assert.True(exit == 0, $"expected exit 0\n{p}");
        Dictionary<string, long> counts = TableCounts(schema);
        Assert.Equal(40, counts["things"]);
        Assert.Equal(80, counts["tags"]);

        // Every stderr line is one JSON object with the counting fields; nothing else is printed.
        string[] lines = p.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        List<JsonElement> events = [.. lines.Select(l => ParseLine(l, p))];
        foreach (JsonElement e in events)
        {
            AssertCountFields(e, p);
        }
        Assert.Contains(events, e => e.GetProperty("event").GetString() == "progress");
        Assert.Contains(events, e => e.GetProperty("event").GetString() == "phase" && e.GetProperty("message").GetString()!.StartsWith("building ", StringComparison.Ordinal));
        // A periodic line from the middle of the load knows the file's size, so it gives an ETA.
        Assert.Contains(events, e => e.GetProperty("event").GetString() == "progress"
            && e.GetProperty("source_bytes_total").ValueKind == JsonValueKind.Number && e.GetProperty("eta_s").ValueKind == JsonValueKind.Number);
        // Counts only grow.
        long[] rows = [.. events.Select(e => e.GetProperty("rows").GetInt64())];
        Assert.True(rows.Zip(rows.Skip(1)).All(x => x.First <= x.Second), $"rows went down: {string.Join(", ", rows)}\n{p}");

        JsonElement last = events[^1];
        Assert.Equal("end", last.GetProperty("event").GetString());
        Assert.Equal(0, last.GetProperty("exit_code").GetInt32());
        Assert.Equal(40, last.GetProperty("documents").GetInt64());
        Assert.Equal(counts.Values.Sum(), last.GetProperty("rows").GetInt64());
        Assert.Equal(counts, Tables(last.GetProperty("tables"), t => t.GetInt64()));

        string text = File.ReadAllText(summaryPath);
        JsonElement s = JsonDocument.Parse(text).RootElement;
        Assert.Equal(0, s.GetProperty("exit_code").GetInt32());
        Assert.Equal("ok", s.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, s.GetProperty("error").ValueKind);
        Assert.Equal(counts, Tables(s.GetProperty("tables"), t => t.GetProperty("rows").GetInt64()));
        Assert.Equal(counts.Values.Sum(), s.GetProperty("totals").GetProperty("rows").GetInt64());
        Assert.Equal(40, s.GetProperty("totals").GetProperty("documents").GetInt64());
        Assert.Equal(4, s.GetProperty("totals").GetProperty("chunks").GetInt64());
        Assert.True(s.GetProperty("tables").GetProperty("things").GetProperty("bytes").GetInt64() > 0, text);
        Assert.True(s.GetProperty("peak_rss_bytes").GetInt64() > 0, text);
        Assert.Equal(20, s.GetProperty("run_id").GetString()!.Length);
        Assert.Equal(schema, s.GetProperty("schema").GetString());
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(summaryPath)!, "*.tmp"));

        Assert.DoesNotContain(Password, p.Err + p.Out + text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_load_stopped_by_bad_data_writes_the_error_and_the_committed_counts()
    {
        ThingsFile file = RejectTests.OneBad(ThingsData.Kind("int64_overflows_integer")); // 3 chunks; the bad document in the third
        string schema = _scope.NewSchema("json_fail");
        string summaryPath = _scope.Dir.File("fail.json");
        using EtlfastProcess p = Load(file.Write(_scope.Dir), schema, summaryPath, TargetWithPassword, "--constraints", "before");
        int exit = p.WaitForExit(TimeSpan.FromSeconds(90));

        Assert.True(exit == 4, $"expected exit 4\n{p}");
        Dictionary<string, long> counts = TableCounts(schema);
        Assert.Equal(22, counts["things"]); // chunks 0 and 1 committed, the third rolled back

        JsonElement s = JsonDocument.Parse(File.ReadAllText(summaryPath)).RootElement;
        Assert.Equal(4, s.GetProperty("exit_code").GetInt32());
        Assert.Equal("data_error", s.GetProperty("status").GetString());
        JsonElement error = s.GetProperty("error");
        string primary = error.GetProperty("primary").GetString()!;
        Assert.Contains("1025", primary, StringComparison.Ordinal); // the bad document's _id, as stderr names it
        Assert.Contains("etlfast: error: " + primary, p.Err, StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.String, error.GetProperty("detail").ValueKind);
        Assert.Equal(counts, Tables(s.GetProperty("tables"), t => t.GetProperty("rows").GetInt64()));
        Assert.Equal(2, s.GetProperty("totals").GetProperty("chunks").GetInt64());

        // The JSON lines still parse (error messages are the only other lines), and the last one says how it ended.
        List<JsonElement> events = [.. p.Err.Split('\n').Where(l => l.StartsWith('{')).Select(l => ParseLine(l, p))];
        JsonElement last = events[^1];
        Assert.Equal("end", last.GetProperty("event").GetString());
        Assert.Equal(4, last.GetProperty("exit_code").GetInt32());
        Assert.Equal(primary, last.GetProperty("error").GetProperty("primary").GetString());
        Assert.Equal(counts, Tables(last.GetProperty("tables"), t => t.GetInt64()));

        Assert.DoesNotContain(Password, p.Err + File.ReadAllText(summaryPath), StringComparison.Ordinal);
    }

    [Fact]
    public void An_unreachable_target_still_gets_a_summary_file_without_the_password()
    {
        string summaryPath = _scope.Dir.File("refused.json");
        string to = $"host=127.0.0.1 port=1 user=loader password={Password} dbname=nowhere";
        using EtlfastProcess p = Load(Things(2).Write(_scope.Dir), _scope.NewSchema("json_conn"), summaryPath, to);
        int exit = p.WaitForExit(TimeSpan.FromSeconds(90));

        Assert.True(exit == 3, $"expected exit 3\n{p}");
        string text = File.ReadAllText(summaryPath);
        JsonElement s = JsonDocument.Parse(text).RootElement;
        Assert.Equal(3, s.GetProperty("exit_code").GetInt32());
        Assert.Equal("connection_error", s.GetProperty("status").GetString());
        Assert.StartsWith("could not connect to PostgreSQL at loader@127.0.0.1:1/nowhere", s.GetProperty("error").GetProperty("primary").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, s.GetProperty("totals").GetProperty("rows").GetInt64());
        Assert.DoesNotContain(Password, text + p.Err + p.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void An_invalid_mapping_is_reported_in_the_summary_file_with_exit_2()
    {
        string summaryPath = _scope.Dir.File("usage.json");
        string mapping = _scope.Dir.Write("bad.json", """{ "collection": "things", "tables": [ { "name": "t", "columns": [ { "name": "a", "type": "no_such_type", "from": "x" } ] } ] }""");
        CliResult r = Etlfast.Run(["load", "--from", Things(1).Write(_scope.Dir), "-m", mapping, "--to", TestPg.ConnectionString, "--summary-json", summaryPath]);

        r.Fails(2, "invalid mapping");
        JsonElement s = JsonDocument.Parse(File.ReadAllText(summaryPath)).RootElement;
        Assert.Equal(2, s.GetProperty("exit_code").GetInt32());
        Assert.StartsWith("invalid mapping", s.GetProperty("error").GetProperty("primary").GetString(), StringComparison.Ordinal);
    }

    /// <summary>Waits until stderr holds a whole JSON line that <paramref name="match"/> accepts.</summary>
    private static void WaitForLine(EtlfastProcess p, Func<JsonElement, bool> match)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!p.Err.Split('\n').SkipLast(1).Any(l => l.Length > 0 && match(ParseLine(l, p))))
        {
            Assert.True(!p.HasExited && clock.Elapsed < TimeSpan.FromSeconds(90), $"no such progress line\n{p}");
            Thread.Sleep(10);
        }
    }

    private static JsonElement ParseLine(string line, EtlfastProcess p)
    {
        try
        {
            JsonElement e = JsonDocument.Parse(line).RootElement;
            Assert.True(e.ValueKind == JsonValueKind.Object, $"not a JSON object: {line}\n{p}");
            return e;
        }
        catch (JsonException x)
        {
            Assert.Fail($"stderr line is not JSON ({x.Message}): {line}\n{p}");
            throw;
        }
    }

    private static void AssertCountFields(JsonElement e, EtlfastProcess p)
    {
        foreach (string field in CountFields)
        {
            Assert.True(e.TryGetProperty(field, out _), $"no \"{field}\" in {e}\n{p}");
        }
        Assert.Equal(["things", "tags"], e.GetProperty("tables").EnumerateObject().Select(t => t.Name));
    }

    private static Dictionary<string, long> Tables(JsonElement tables, Func<JsonElement, long> rows) =>
        tables.EnumerateObject().ToDictionary(t => t.Name, t => rows(t.Value));

    private static Dictionary<string, long> TableCounts(string schema)
    {
        using NpgsqlConnection conn = TestPg.Open();
        return new[] { "things", "tags" }.ToDictionary(t => t, t => (long)TestPg.Scalar(conn, $"SELECT count(*) FROM {TestPg.Qualify(schema, t)}")!);
    }
}
