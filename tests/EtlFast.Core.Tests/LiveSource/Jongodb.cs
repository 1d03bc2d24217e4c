using System.Diagnostics;
using EtlFast.Core.Tests.TestSupport;
using MongoDB.Bson;
using MongoDB.Driver;

namespace EtlFast.Core.Tests.LiveSource;

/// <summary>
/// A jongodb process: a MongoDB-compatible server nobody here wrote (npm package
/// @jongodb/memory-server-bin-linux-x64-gnu, installed by scripts/jongodb.sh), bound to 127.0.0.1 on a
/// free port, seeded through MongoDB.Driver inserts. It answers find, insert and count but has no
/// <c>$bucketAuto</c>, <c>$sample</c> or <c>drop</c>, as some hosted MongoDB-compatible services lack
/// stages. When the binary is missing, starting one fails the test: CI must never pass without it.
/// </summary>
internal sealed class Jongodb : IAsyncDisposable
{
    private const string ReadyPrefix = "JONGODB_URI=";
    private readonly Process _process;

    private Jongodb(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The same shape as the wire server's: mongodb://127.0.0.1:PORT/?directConnection=true.</summary>
    public string ConnectionString => $"mongodb://127.0.0.1:{Port}/?directConnection=true";

    /// <summary>$ETLFAST_JONGODB, else where scripts/jongodb.sh installs it.</summary>
    public static string BinaryPath => Environment.GetEnvironmentVariable("ETLFAST_JONGODB") is { Length: > 0 } path
        ? path
        : RepoRoot.File("artifacts", "jongodb", "node_modules", "@jongodb", "memory-server-bin-linux-x64-gnu", "bin", "jongodb");

    public static async Task<Jongodb> StartAsync()
    {
        string bin = BinaryPath;
        Assert.True(File.Exists(bin), $"jongodb is not installed at {bin}: run `bash scripts/jongodb.sh` (npm; scripts/test.sh and scripts/pg-shell.sh run it)");
        var start = new ProcessStartInfo(bin)
        {
            ArgumentList = { "--host=127.0.0.1", "--port=0" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {bin}");
        var errors = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            lock (errors)
            {
                errors.AppendLine(e.Data);
            }
        };
        process.BeginErrorReadLine();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            // The launcher prints one line when it listens: JONGODB_URI=mongodb://127.0.0.1:PORT/test
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line.StartsWith(ReadyPrefix, StringComparison.Ordinal))
                {
                    var url = MongoUrl.Create(line[ReadyPrefix.Length..]);
                    Assert.Equal("127.0.0.1", url.Server.Host);
                    _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None); // keep draining
                    return new Jongodb(process, url.Server.Port);
                }
            }
            string stderr;
            lock (errors)
            {
                stderr = errors.ToString();
            }
            throw new InvalidOperationException($"jongodb exited without listening: {stderr}");
        }
        catch
        {
            Stop(process);
            throw;
        }
    }

    /// <summary>Inserts documents through the official driver (BsonDocument style), in ordered batches.</summary>
    public void Insert(string database, string collection, IEnumerable<BsonDocument> documents)
    {
        using var client = new MongoClient(ConnectionString);
        IMongoCollection<BsonDocument> target = client.GetDatabase(database).GetCollection<BsonDocument>(collection);
        foreach (BsonDocument[] batch in documents.Chunk(500))
        {
            target.InsertMany(batch);
        }
    }

    private static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        process.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Stop(_process);
        return ValueTask.CompletedTask;
    }
}
