using System.Runtime.InteropServices;

namespace EtlFast.Core.Tests.Faults;

/// <summary>
/// Sends a real POSIX signal to a process, as a shell or an orchestrator would: Process.Kill only ever
/// sends SIGKILL, and the loader must be seen handling SIGINT and SIGTERM itself.
/// </summary>
internal static partial class PosixSignals
{
    public const int SIGINT = 2;
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    public static void Send(int pid, int signal)
    {
        if (Kill(pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>
    /// A named pipe at <paramref name="path"/>: a writer opening it blocks until a reader comes, which
    /// holds a process still at the exact moment it first writes there.
    /// </summary>
    public static void MakeFifo(string path)
    {
        if (MkFifo(path, 0b110_000_000) != 0)
        {
            throw new InvalidOperationException($"mkfifo({path}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>
    /// Waits until a thread of process <paramref name="pid"/> is blocked opening a named pipe that no
    /// reader has opened (Linux shows that thread's wchan as wait_for_partner); false if the process ends first.
    /// </summary>
    public static bool WaitUntilBlockedOpeningFifo(int pid, TimeSpan timeout)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            try
            {
                foreach (string task in Directory.GetDirectories($"/proc/{pid}/task"))
                {
                    if (File.ReadAllText(Path.Combine(task, "wchan")) == "wait_for_partner")
                    {
                        return true;
                    }
                }
            }
            catch (IOException)
            {
                // a thread ended while being looked at, or the process did
                if (!Directory.Exists($"/proc/{pid}"))
                {
                    return false;
                }
            }
            Thread.Sleep(10);
        }
        return false;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "mkfifo", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MkFifo(string path, uint mode);
}
