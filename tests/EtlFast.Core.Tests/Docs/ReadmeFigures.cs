using System.Globalization;
using System.Text;
using System.Text.Json;

namespace EtlFast.Core.Tests.Docs;

/// <summary>
/// Renders the README's performance tables from the results <c>scripts/bench.sh</c> committed in
/// bench/results: the latest result of each size on each machine, so that no figure in the README is
/// copied by hand and a ratio from one machine is never shown as another's.
/// </summary>
internal static class ReadmeFigures
{
    public const string Begin = "<!-- bench-figures:begin: generated from bench/results by scripts/readme-figures.sh; do not edit by hand -->";
    public const string End = "<!-- bench-figures:end -->";

    private sealed record Result(string File, JsonElement Root)
    {
        public string Date => Root.GetProperty("date").GetString()!;

        /// <summary>"users" (the seed's one collection; results before the app workload name none) or "app".</summary>
        public string Workload => Root.GetProperty("settings").TryGetProperty("workload", out JsonElement w) ? w.GetString()! : "users";

        /// <summary>The workload's size: users for the seed, orders for the app database.</summary>
        public long Size => Root.GetProperty("settings").GetProperty(Workload == "app" ? "orders" : "users").GetInt64();
        public long Documents => Root.GetProperty("settings").GetProperty("documents").GetInt64();
        public long Rows => Root.GetProperty("settings").GetProperty("rows").GetInt64();
        public long BsonBytes => Root.GetProperty("settings").GetProperty("bson_bytes").GetInt64();
        public int Repetitions => Root.GetProperty("settings").GetProperty("repetitions").GetInt32();

        public string Machine
        {
            get
            {
                JsonElement m = Root.GetProperty("machine");
                return $"{m.GetProperty("nproc").GetString()} cores {m.GetProperty("cpu_model").GetString()}, {m.GetProperty("mem_total").GetString()}";
            }
        }

        /// <summary>The binary's commit, short, from "commit 0123abc... (clean snapshot)".</summary>
        public string Commit
        {
            get
            {
                string source = Root.GetProperty("machine").GetProperty("etlfast_source").GetString() ?? "";
                string[] words = source.Split(' ');
                int at = Array.IndexOf(words, "commit");
                return at >= 0 && at + 1 < words.Length ? words[at + 1][..Math.Min(7, words[at + 1].Length)] : "unknown";
            }
        }

        public JsonElement? Kind(string kind) =>
            Root.GetProperty("summary").TryGetProperty(kind, out JsonElement k) ? k : null;
    }

    public static string Render(string resultsDir)
    {
        var results = Directory.GetFiles(resultsDir, "*.json")
            .Select(f => new Result(Path.GetFileName(f), JsonDocument.Parse(File.ReadAllBytes(f)).RootElement))
            .ToList();
        // The latest result of each workload and size on each machine: the date, then the file name (a second run of a day is "-2").
        var latestOfAll = results
            .GroupBy(r => (r.Workload, r.Size, r.Machine))
            .Select(g => g.OrderBy(r => r.Date, StringComparer.Ordinal).ThenBy(r => r.File.Length).ThenBy(r => r.File, StringComparer.Ordinal).Last())
            .OrderBy(r => r.Size).ThenBy(r => r.Machine, StringComparer.Ordinal)
            .ToList();
        var latest = latestOfAll.Where(r => r.Workload == "users").ToList();
        var app = latestOfAll.Where(r => r.Workload == "app").ToList();

        var md = new StringBuilder();
        md.AppendLine(Begin);
        md.AppendLine();
        md.AppendLine("| users | rows | (b)/(a) wall | data phase (b) vs (a) COPY, s | keys (b) vs (a), s | client CPU s / M rows (b) vs (a) | server CPU s / M rows (b) vs (a) | peak RSS (b) | GC (b) gen0/1/2 | runs of each | others' CPU share (b) | binary | machine | result |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (Result r in latest)
        {
            JsonElement a = r.Kind("a")!.Value, b = r.Kind("b")!.Value;
            double aKeys = D(a, "phase_pk_s") + D(a, "phase_fk_s");
            md.AppendLine(Invariant($"| {r.Size:N0} | {r.Rows:N0} | **{D(b, "wall_s") / D(a, "wall_s"):0.00}** | {D(b, "etlfast_data_s"):0.0} vs {D(a, "phase_copy_s"):0.0} | {D(b, "etlfast_keys_s"):0.0} vs {aKeys:0.0} | {D(b, "client_cpu_s_per_mrows"):0.00} vs {D(a, "client_cpu_s_per_mrows"):0.00} | {PerMillion(r, b, "server_cpu_s"):0.00} vs {PerMillion(r, a, "server_cpu_s"):0.00} | {D(b, "client_peak_rss_mib"):0} MiB | {G(b)} | {r.Repetitions} | {D(b, "others_share") * 100:0}% | {r.Commit} | {r.Machine} | [{r.File[..^5]}](bench/results/{r.File[..^5]}.md) |"));
        }
        md.AppendLine();
        md.AppendLine("Engine alone, same results: (c) reads, walks and encodes everything with `--sink null`; (d) does the same reading through the MongoDB driver from the wire test server.");
        md.AppendLine();
        md.AppendLine("| users | (c) BSON GB per CPU-second | (c) client CPU s / M rows | (c) peak RSS | (d)/(c) client CPU | (d) peak RSS | (d) GC gen0/1/2 | binary | result |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (Result r in latest)
        {
            if (r.Kind("c") is not { } c)
            {
                continue;
            }
            JsonElement? d = r.Kind("d");
            string live = d is { } dv
                ? Invariant($"{D(dv, "client_cpu_s") / D(c, "client_cpu_s"):0.00} | {D(dv, "client_peak_rss_mib"):0} MiB | {G(dv)}")
                : "- | - | -";
            md.AppendLine(Invariant($"| {r.Size:N0} | {r.BsonBytes / 1e9 / D(c, "client_cpu_s"):0.00} | {D(c, "client_cpu_s_per_mrows"):0.00} | {D(c, "client_peak_rss_mib"):0} MiB | {live} | {r.Commit} | [{r.File[..^5]}](bench/results/{r.File[..^5]}.md) |"));
        }
        if (app.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("A whole database (`scripts/bench.sh app`: `etlfast gen app`, five collections with references between them, `--mapping examples/app`): (b) loads the dump directory, (e) the same database as one mongodump archive, (a) is the baseline of the same rows, keys and indexes.");
            md.AppendLine();
            md.AppendLine("| orders | documents | rows | (b)/(a) wall | (e)/(b) wall | data phase (b) vs (a) COPY, s | keys and indexes (b) vs (a), s | client CPU s / M rows (b) vs (a) | peak RSS (b), (e) | runs of each | others' CPU share (b) | binary | machine | result |");
            md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
            foreach (Result r in app)
            {
                JsonElement a = r.Kind("a")!.Value, b = r.Kind("b")!.Value, e = r.Kind("e")!.Value;
                double aKeys = D(a, "phase_pk_s") + D(a, "phase_fk_s");
                md.AppendLine(Invariant($"| {r.Size:N0} | {r.Documents:N0} | {r.Rows:N0} | **{D(b, "wall_s") / D(a, "wall_s"):0.00}** | **{D(e, "wall_s") / D(b, "wall_s"):0.00}** | {D(b, "etlfast_data_s"):0.0} vs {D(a, "phase_copy_s"):0.0} | {D(b, "etlfast_keys_s"):0.0} vs {aKeys:0.0} | {D(b, "client_cpu_s_per_mrows"):0.00} vs {D(a, "client_cpu_s_per_mrows"):0.00} | {D(b, "client_peak_rss_mib"):0}, {D(e, "client_peak_rss_mib"):0} MiB | {r.Repetitions} | {D(b, "others_share") * 100:0}% | {r.Commit} | {r.Machine} | [{r.File[..^5]}](bench/results/{r.File[..^5]}.md) |"));
            }
        }
        md.AppendLine();
        md.AppendLine(End);
        return md.ToString();
    }

    private static double D(JsonElement e, string name) => e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : double.NaN;

    private static double PerMillion(Result r, JsonElement kind, string name) => D(kind, name) / r.Rows * 1e6;

    private static string G(JsonElement e) => e.TryGetProperty("etlfast_gen0", out _)
        ? Invariant($"{D(e, "etlfast_gen0"):0}/{D(e, "etlfast_gen1"):0}/{D(e, "etlfast_gen2"):0}")
        : "-";

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
