namespace EtlFast.Core.Load;

/// <summary>Figures about this process for summaries and benchmarks.</summary>
public static class ProcessStats
{
    /// <summary>Peak resident set size (VmHWM) in bytes; 0 where /proc is not available.</summary>
    public static long PeakRssBytes() => ReadStatusKb("VmHWM:") * 1024;

    private static long ReadStatusKb(string key)
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith(key, StringComparison.Ordinal))
                {
                    string digits = new([.. line[key.Length..].Trim().TakeWhile(char.IsAsciiDigit)]);
                    return long.TryParse(digits, out long kb) ? kb : 0;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return 0;
    }
}
