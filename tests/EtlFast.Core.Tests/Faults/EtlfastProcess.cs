using System.Diagnostics;
using System.Text;

namespace EtlFast.Core.Tests.Faults;

/// <summary>
/// The real <c>etlfast</c> executable (<c>dotnet etlfast.dll</c>) as a child process, for what an
/// in-process run cannot show: SIGKILL at any moment, SIGINT/SIGTERM handlers, exit codes. Output is
/// collected line by line so a test can act on a phase line; disposing kills the process if it still runs.
/// </summary>
internal sealed class EtlfastProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _out = new();
    private readonly StringBuilder _err = new();
    private readonly object _gate = new();
    private Thread[] _readers = [];

    private EtlfastProcess(Process process, string[] args)
    {
        _process = process;
        Args = args;
    }

    public string[] Args { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Out
    {
        get
        {
            lock (_gate)
            {
                return _out.ToString();
            }
        }
    }

    public string Err
    {
        get
        {
            lock (_gate)
            {
                return _err.ToString();
            }
        }
    }

    /// <summary>The built CLI next to the test binaries (the test project references EtlFast.Cli), else the CLI project's own output.</summary>
    public static string DllPath
    {
        get
        {
            string here = Path.Combine(AppContext.BaseDirectory, "etlfast.dll");
            if (File.Exists(here) && File.Exists(Path.Combine(AppContext.BaseDirectory, "etlfast.runtimeconfig.json")))
            {
                return here;
            }
            // bin/<Configuration>/<tfm>/ of the test project: the CLI's output uses the same two folder names.
            var tfm = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            string config = tfm.Parent?.Name ?? "Debug";
            string other = TestSupport.RepoRoot.File("src", "EtlFast.Cli", "bin", config, tfm.Name, "etlfast.dll");
            Assert.True(File.Exists(other), $"the etlfast CLI is built neither at {here} nor at {other}: build tests/EtlFast.Core.Tests first");
            return other;
        }
    }

    private static string DotnetHost
    {
        get
        {
            string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
            if (!string.IsNullOrEmpty(host) && File.Exists(host))
            {
                return host;
            }
            string? self = Environment.ProcessPath;
            return self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
        }
    }

    public static EtlfastProcess Start(params string[] args) => Start(new Dictionary<string, string>(), args);

    /// <summary>Like <see cref="Start(string[])"/>, with extra environment variables for the child alone.</summary>
    public static EtlfastProcess Start(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        // Through env(1), which execs in place (same pid): SIGINT and SIGQUIT back to their defaults. A
        // runner started in the background by a non-interactive shell (`cmd &`, nohup, some CI agents)
        // ignores both, the ignoring is inherited, and etlfast, like any Unix program, then honours it:
        // a Ctrl-C test would send a signal the process never sees.
        var psi = new ProcessStartInfo("env")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        psi.ArgumentList.Add("--default-signal=INT,QUIT");
        psi.ArgumentList.Add(DotnetHost);
        psi.ArgumentList.Add(DllPath);
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        // Only what the test passes on the command line: the runner's PG* settings must not fill gaps.
        foreach (string name in new[] { "PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE", "PGSSLMODE", "PGAPPNAME" })
        {
            psi.Environment.Remove(name);
        }
        foreach ((string name, string value) in environment)
        {
            psi.Environment[name] = value;
        }
        var process = new Process { StartInfo = psi };
        var self = new EtlfastProcess(process, args);
        process.Start();
        // Own threads, not the thread pool's async reads: with tests blocking pool threads on 2 cores,
        // pooled callbacks can lag by seconds, and a kill meant for one phase would land in another.
        self._readers = [self.Pump(process.StandardOutput, self._out), self.Pump(process.StandardError, self._err)];
        return self;
    }

    private Thread Pump(StreamReader reader, StringBuilder sb)
    {
        var t = new Thread(() =>
        {
            string? line;
            while ((line = reader.ReadLine()) is not null)
            {
                lock (_gate)
                {
                    sb.Append(line).Append('\n');
                }
            }
        }) { IsBackground = true, Name = "etlfast-output" };
        t.Start();
        return t;
    }

    /// <summary>Waits for the output threads to read to the end (the process has exited).</summary>
    private void Drain()
    {
        foreach (Thread t in _readers)
        {
            t.Join(TimeSpan.FromSeconds(10));
        }
    }

    public void Signal(int signal) => PosixSignals.Send(_process.Id, signal);

    /// <summary>Waits until stderr holds <paramref name="text"/>; false when the process ended or the time ran out first.</summary>
    public bool WaitForErr(string text, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (Err.Contains(text, StringComparison.Ordinal))
            {
                return true;
            }
            if (_process.HasExited)
            {
                Drain();
                return Err.Contains(text, StringComparison.Ordinal);
            }
            Thread.Sleep(2);
        }
        return false;
    }

    /// <summary>The exit code; fails the test (and kills the process) when it does not end in time.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            Kill();
            Assert.Fail($"etlfast did not end within {timeout.TotalSeconds:N0} s\n{this}");
        }
        Drain();
        return _process.ExitCode;
    }

    private void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    public override string ToString() =>
        $"dotnet etlfast.dll {string.Join(' ', Args)}\n{(_process.HasExited ? $"exit {_process.ExitCode}" : "still running")}\n--- stdout\n{Out}\n--- stderr\n{Err}";

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
