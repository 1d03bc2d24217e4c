using System.Diagnostics;

namespace EtlFast.Core.Tests.TestSupport;

/// <summary>
/// A small tmpfs mounted for one test (a disk that fills up on cue), optionally owned by another user
/// (postgres, for a tablespace); unmounted and removed on dispose. Mounting needs root: CI runs as root.
/// </summary>
internal sealed class Tmpfs : IDisposable
{
    private Tmpfs(string path) => Path = path;

    public string Path { get; }

    /// <summary>Null when this process can mount; else why not.</summary>
    public static string? CannotMount() =>
        Environment.UserName != "root" ? $"mounting a tmpfs needs root (running as {Environment.UserName})"
        : !File.Exists("/bin/mount") && !File.Exists("/usr/bin/mount") ? "there is no mount command"
        : null;

    public static Tmpfs Mount(long bytes, string? owner = null)
    {
        string? why = CannotMount();
        Assert.True(why is null, $"this test needs a tmpfs of its own: {why}");
        string dir = Directory.CreateTempSubdirectory("etlfast-tmpfs-").FullName;
        Exec("mount", "-t", "tmpfs", "-o", $"size={bytes},mode=0700", "tmpfs", dir);
        var fs = new Tmpfs(dir);
        if (owner is not null)
        {
            Exec("chown", $"{owner}:", dir);
        }
        return fs;
    }

    /// <summary>Bytes free on the file system now.</summary>
    public long Free => new DriveInfo(Path).AvailableFreeSpace;

    /// <summary>Writes a file that leaves about <paramref name="leave"/> bytes free; returns its path (delete it to make room).</summary>
    public string Fill(long leave, string name = "filler")
    {
        string path = System.IO.Path.Combine(Path, name);
        long size = Free - leave;
        Assert.True(size > 0, $"{Path} has only {Free:N0} bytes free, less than the {leave:N0} to leave");
        using (var f = new FileStream(path, FileMode.CreateNew))
        {
            byte[] block = new byte[64 * 1024];
            for (long done = 0; done < size; done += block.Length)
            {
                f.Write(block, 0, (int)Math.Min(block.Length, size - done));
            }
        }
        return path;
    }

    public void Dispose()
    {
        if (!TryExec("umount", Path))
        {
            Exec("umount", "-l", Path); // a server process may still hold a file of it open for a moment
        }
        Directory.Delete(Path);
    }

    private static bool TryExec(string command, params string[] args)
    {
        var psi = new ProcessStartInfo(command) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using Process p = Process.Start(psi)!;
        p.StandardError.ReadToEnd();
        return p.WaitForExit(30_000) && p.ExitCode == 0;
    }

    private static void Exec(string command, params string[] args)
    {
        var psi = new ProcessStartInfo(command) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using Process p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd() + p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(30_000), $"{command} did not finish in 30 s");
        Assert.True(p.ExitCode == 0, $"{command} {string.Join(' ', args)} failed ({p.ExitCode}): {err}");
    }
}
