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

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
