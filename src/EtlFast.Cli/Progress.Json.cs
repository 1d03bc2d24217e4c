using System.Buffers;
using System.Text;
using System.Text.Json;

namespace EtlFast.Cli;

/// <summary>
/// --progress json: one object per line on stderr. Every line carries the same counting fields
/// (event, elapsed_s, documents, rows, bytes, rows_per_s, bytes_per_s, eta_s, source_bytes_read,
/// source_bytes_done, source_bytes_total, tables); phase lines add "message", the end line "rejected", "exit_code",
/// "status" and "error". Written with Utf8JsonWriter: no reflection, so NativeAOT keeps it whole.
/// </summary>
internal sealed partial class Progress
{
    private readonly ArrayBufferWriter<byte> _json = new(4096);

    private void WriteJsonLine(Counts c, string kind, string? message)
    {
        _json.ResetWrittenCount();
        using (var w = new Utf8JsonWriter(_json))
        {
            w.WriteStartObject();
            w.WriteString("event", kind);
            if (message is not null)
            {
                w.WriteString("message", message);
            }
            WriteCounts(w, c, _tables);
            w.WriteEndObject();
        }
        Emit();
    }

    private void WriteEndLine(LoadOutcome outcome)
    {
        Counts live = Snapshot();
        // The summary's committed counts are exact (collected from the workers); the live ones may lag a chunk.
        long[] tables = [.. outcome.Summary.Tables.Select(t => t.Rows)];
        var c = live with
        {
            Documents = outcome.Summary.Documents,
            Rows = tables.Sum(),
            TableRows = tables.Length == _tables.Length ? tables : live.TableRows,
            Eta = outcome.ExitCode is ExitCodes.Ok or ExitCodes.CompletedWithRejects ? 0 : null,
        };
        _json.ResetWrittenCount();
        using (var w = new Utf8JsonWriter(_json))
        {
            w.WriteStartObject();
            w.WriteString("event", "end");
            WriteCounts(w, c, _tables);
            w.WriteNumber("rejected", outcome.Summary.Rejected);
            w.WriteNumber("exit_code", outcome.ExitCode);
            w.WriteString("status", outcome.Status);
            SummaryJson.WriteError(w, outcome.Failure);
            w.WriteEndObject();
        }
        Emit();
    }

    private static void WriteCounts(Utf8JsonWriter w, Counts c, string[] names)
    {
        w.WriteNumber("elapsed_s", Math.Round(c.Seconds, 3));
        w.WriteNumber("documents", c.Documents);
        w.WriteNumber("rows", c.Rows);
        w.WriteNumber("bytes", c.Bytes);
        w.WriteNumber("rows_per_s", Math.Round(c.Rows / c.Seconds, 1));
        w.WriteNumber("bytes_per_s", Math.Round(c.Bytes / c.Seconds, 1));
        SummaryJson.WriteNullable(w, "eta_s", c.Eta is double eta ? Math.Round(eta, 1) : null);
        SummaryJson.WriteNullable(w, "source_bytes_read", c.SourceRead);
        SummaryJson.WriteNullable(w, "source_bytes_done", c.SourceDone);
        SummaryJson.WriteNullable(w, "source_bytes_total", c.SourceTotal);
        w.WriteStartObject("tables");
        for (int t = 0; t < names.Length; t++)
        {
            w.WriteNumber(names[t], c.TableRows[t]);
        }
        w.WriteEndObject();
    }

    private void Emit()
    {
        _ctx.Err.WriteLine(Encoding.UTF8.GetString(_json.WrittenSpan));
        _ctx.Err.Flush();
    }
}
