using EtlFast.Core.Load;

namespace EtlFast.Cli;

/// <summary>The table printed at the end of a load.</summary>
internal static class SummaryPrinter
{
    public static void Print(TextWriter w, LoadSummary s, PgTarget target)
    {
        int width = Math.Max(5, s.Tables.Max(t => t.Name.Length));
        w.WriteLine();
        w.WriteLine($"{"table".PadRight(width)}  {"rows",12}  {"MB",9}  {"copy s",8}");
        foreach (TableSummary t in s.Tables)
        {
            w.WriteLine($"{t.Name.PadRight(width)}  {t.Rows,12:N0}  {t.Bytes / 1048576.0,9:N1}  {t.CopySeconds,8:N2}");
        }
        w.WriteLine($"{"total".PadRight(width)}  {s.Rows,12:N0}  {s.Tables.Sum(t => t.Bytes) / 1048576.0,9:N1}");
        w.WriteLine();
        double secs = Math.Max(s.Seconds, 1e-6);
        w.WriteLine($"loaded {s.Documents:N0} documents ({s.BsonBytes / 1048576.0:N1} MB of BSON) into {s.Rows:N0} rows of {s.Tables.Count} tables at {target.Display} in {s.Seconds:N2} s");
        w.WriteLine($"  {s.Rows / secs:N0} rows/s, {s.BsonBytes / 1048576.0 / secs:N1} MB/s; data {s.LoadSeconds:N2} s, keys and indexes {s.ConstraintSeconds:N2} s");
        w.WriteLine($"  client CPU {s.CpuSeconds:N2} s, peak memory {s.PeakRssBytes / 1048576.0:N0} MB, {s.Chunks:N0} chunk{(s.Chunks == 1 ? "" : "s")}, GC {s.Gen0}/{s.Gen1}/{s.Gen2}");
        if (s.Rejected > 0)
        {
            w.WriteLine($"  {s.Rejected:N0} documents rejected");
        }
    }
}
