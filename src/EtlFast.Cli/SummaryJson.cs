using System.Text.Json;
using EtlFast.Core.Load;

namespace EtlFast.Cli;

/// <summary>What the command line said about a load, for the summary file (never a password).</summary>
internal sealed record RunFacts(string? Source, string? Target, string? Schema, string Mode, string Constraints, int Jobs, int ChunkBytes);

/// <summary>
/// --summary-json FILE: the end of a load, successful or not, as one JSON document, written to a
/// temporary file beside FILE and renamed over it, so a reader never sees half of it. Field names are
/// stable; written with Utf8JsonWriter (no reflection, safe under NativeAOT).
/// </summary>
internal static class SummaryJson
{
    public static void Write(string path, LoadOutcome outcome, RunFacts facts, DateTimeOffset started) =>
        Write(path, w => WriteDocument(w, outcome, facts, started));

    /// <summary>Any summary document, written whole to a temporary file beside <paramref name="path"/>, then renamed over it.</summary>
    public static void Write(string path, Action<Utf8JsonWriter> document)
    {
        string full = Path.GetFullPath(path);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            using (var w = new Utf8JsonWriter(file, new JsonWriterOptions { Indented = true }))
            {
                document(w);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    private static void WriteDocument(Utf8JsonWriter w, LoadOutcome outcome, RunFacts facts, DateTimeOffset started)
    {
        LoadSummary s = outcome.Summary;
        w.WriteStartObject();
        w.WriteString("etlfast", Cli.Version);
        w.WriteString("command", "load");
        w.WriteNumber("exit_code", outcome.ExitCode);
        w.WriteString("status", outcome.Status);
        WriteNullable(w, "run_id", outcome.RunId);
        WriteNullable(w, "source", facts.Source);
        WriteNullable(w, "target", facts.Target);
        WriteNullable(w, "schema", facts.Schema);
        w.WriteString("mode", facts.Mode);
        w.WriteString("constraints", facts.Constraints);
        w.WriteNumber("jobs", facts.Jobs);
        w.WriteNumber("chunk_bytes", facts.ChunkBytes);
        w.WriteString("started_at", started.ToUniversalTime());
        w.WriteString("finished_at", DateTimeOffset.UtcNow);
        w.WriteNumber("seconds", Math.Round(s.Seconds, 3));
        w.WriteNumber("load_seconds", Math.Round(s.LoadSeconds, 3));
        w.WriteNumber("constraint_seconds", Math.Round(s.ConstraintSeconds, 3));
        w.WriteNumber("cpu_seconds", Math.Round(s.CpuSeconds, 3));
        w.WriteNumber("peak_rss_bytes", s.PeakRssBytes);
        w.WriteNumber("allocated_bytes", s.AllocatedBytes);
        w.WriteStartObject("gc");
        w.WriteNumber("gen0", s.Gen0);
        w.WriteNumber("gen1", s.Gen1);
        w.WriteNumber("gen2", s.Gen2);
        w.WriteEndObject();

        w.WriteStartObject("totals");
        w.WriteNumber("documents", s.Documents);
        w.WriteNumber("rows", s.Rows);
        w.WriteNumber("bson_bytes", s.BsonBytes);
        w.WriteNumber("copy_bytes", s.Tables.Sum(t => t.Bytes));
        w.WriteNumber("chunks", s.Chunks);
        w.WriteNumber("skipped_chunks", s.SkippedChunks);
        w.WriteBoolean("already_finished", s.AlreadyFinished);
        w.WriteNumber("rejected", s.Rejected);
        w.WriteEndObject();
        WriteNullable(w, "reject_file", s.RejectFile);

        WriteTables(w, s.Tables);
        WriteError(w, outcome.Failure);
        w.WriteEndObject();
    }

    /// <summary>"tables": each table by name with its rows, COPY bytes and COPY seconds.</summary>
    public static void WriteTables(Utf8JsonWriter w, IEnumerable<TableSummary> tables)
    {
        w.WriteStartObject("tables");
        foreach (TableSummary t in tables)
        {
            w.WriteStartObject(t.Name);
            w.WriteNumber("rows", t.Rows);
            w.WriteNumber("bytes", t.Bytes);
            w.WriteNumber("copy_seconds", Math.Round(t.CopySeconds, 3));
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    /// <summary>"error": null, or the message as stderr gave it: primary, detail, hint.</summary>
    public static void WriteError(Utf8JsonWriter w, Failure? failure)
    {
        if (failure is null)
        {
            w.WriteNull("error");
            return;
        }
        w.WriteStartObject("error");
        w.WriteString("primary", failure.Primary);
        WriteNullable(w, "detail", failure.Detail);
        WriteNullable(w, "hint", failure.Hint);
        w.WriteEndObject();
    }

    public static void WriteNullable(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }

    public static void WriteNullable(Utf8JsonWriter w, string name, long? value)
    {
        if (value is long v)
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    public static void WriteNullable(Utf8JsonWriter w, string name, double? value)
    {
        if (value is double v && double.IsFinite(v))
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }
}
