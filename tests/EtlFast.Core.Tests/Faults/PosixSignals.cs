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

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "mkfifo", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MkFifo(string path, uint mode);
}
