using System.Diagnostics;
using MongoDB.Bson;
using MongoDB.Driver;

namespace EtlFast.Core.Tests.WireServerTests;

using WireServer = EtlFast.WireServer.WireServer;

/// <summary>The script mode: `EtlFast.WireServer --port 0 --load db.coll=file.bson`.</summary>
public sealed class ExeModeTests
{
    private static Process Start(params string[] args)
    {
        // The test output holds the server's apphost and dll (it is a project reference).
        string dll = typeof(WireServer).Assembly.Location;
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        return Process.Start(info) ?? throw new InvalidOperationException("could not start the wire server");
    }

    private static string WriteDump(int count)
    {
        string path = Path.Combine(Path.GetTempPath(), $"wire-exe-{Guid.NewGuid():N}.bson");
        using var file = File.Create(path);
        foreach (var d in WireKit.IntDocs(count))
        {
            file.Write(d.ToBson());
        }
        return path;
    }

    private static async Task<string> ReadListeningLine(Process process)
    {
        var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.NotNull(line);
        Assert.Matches("^listening mongodb://127\\.0\\.0\\.1:[0-9]+/$", line);
        return line["listening ".Length..];
    }

    [Fact]
    public async Task Exe_prints_its_address_serves_a_driver_and_exits_0_when_stdin_closes()
    {
        string dump = WriteDump(250);
        try
        {
            using var process = Start("--port", "0", "--load", $"sample_db.users={dump}");
            string uri = await ReadListeningLine(process);
            using (var client = new MongoClient(uri + "?directConnection=true&serverSelectionTimeoutMS=10000"))
            {
                var coll = client.GetDatabase("sample_db").GetCollection<BsonDocument>("users");
                var docs = WireKit.Drain(coll.FindSync(new BsonDocument(), new FindOptions<BsonDocument> { BatchSize = 100 })).Docs;
                Assert.Equal(Enumerable.Range(0, 250), docs.Select(d => d["_id"].AsInt32));
            }
            process.StandardInput.Close();
            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)), "server did not exit after stdin closed");
            Assert.Equal(0, process.ExitCode);
        }
        finally
        {
            File.Delete(dump);
        }
    }

    [Fact]
    public async Task Exe_exits_0_on_SIGTERM_with_no_stdin_watch()
    {
        using var process = Start("--no-stdin");
        string uri = await ReadListeningLine(process);
        process.StandardInput.Close();
        // Still serving after stdin closed: a whole round trip (connect, handshake, ping) begun after the close.
        using (var client = new MongoClient(uri + "?directConnection=true&serverSelectionTimeoutMS=10000"))
        {
            Assert.Equal(1.0, client.GetDatabase("admin").RunCommand<BsonDocument>(new BsonDocument("ping", 1))["ok"].ToDouble());
        }
        Assert.False(process.HasExited, "--no-stdin must keep serving after stdin closes");
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString()]))
        {
            kill.WaitForExit();
        }
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)), "server did not exit on SIGTERM");
        Assert.Equal(0, process.ExitCode);
    }

    [Fact]
    public void Exe_rejects_a_bad_load_spec()
    {
        using var process = Start("--load", "nodot=/x.bson");
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Equal(2, process.ExitCode);
        Assert.Contains("bad argument '--load'", process.StandardError.ReadToEnd());
    }
}
