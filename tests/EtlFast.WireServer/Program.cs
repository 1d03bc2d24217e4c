using System.Runtime.InteropServices;

namespace EtlFast.WireServer;

/// <summary>
/// Script mode: `EtlFast.WireServer --port 0 --load db.coll=/path/coll.bson [--load ...]` prints
/// `listening mongodb://127.0.0.1:PORT/` and serves until stdin closes or SIGTERM/SIGINT.
/// </summary>
public static class Program
{
    private const string Usage =
        "usage: EtlFast.WireServer [--port N] [--load db.collection=path.bson]... [--no-stdin] [--verbose]\n" +
        "  --port N       port on 127.0.0.1 (default 0 = a free port)\n" +
        "  --load X=P     load a mongodump .bson file P into collection X (db.collection)\n" +
        "  --no-stdin     ignore stdin; serve until SIGTERM/SIGINT (for `&` in scripts, where stdin is /dev/null)\n" +
        "  --verbose      log connection closes and internal errors to stderr";

    public static async Task<int> Main(string[] args)
    {
        int port = 0;
        bool watchStdin = true, verbose = false;
        var loads = new List<(string Database, string Collection, string Path)>();
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--port" when i + 1 < args.Length && int.TryParse(args[i + 1], out port) && port is >= 0 and <= 65535:
                    i++;
                    break;
                case "--load" when i + 1 < args.Length && TryParseLoad(args[i + 1], out var load):
                    loads.Add(load);
                    i++;
                    break;
                case "--no-stdin":
                    watchStdin = false;
                    break;
                case "--verbose":
                    verbose = true;
                    break;
                case "-h" or "--help":
                    Console.WriteLine(Usage);
                    return 0;
                default:
                    await Console.Error.WriteLineAsync($"error: bad argument '{args[i]}'{(i + 1 < args.Length ? $" '{args[i + 1]}'" : "")}\n{Usage}").ConfigureAwait(false);
                    return 2;
            }
        }

        WireServer server;
        try
        {
            server = new WireServer(port);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            await Console.Error.WriteLineAsync($"error: cannot listen on 127.0.0.1:{port}: {e.Message}").ConfigureAwait(false);
            return 1;
        }
        await using var owned = server;
        if (verbose)
        {
            server.Log = message => Console.Error.WriteLine(message);
        }
        foreach (var (database, collection, path) in loads)
        {
            try
            {
                int n = server.LoadBsonFile(database, collection, path);
                if (verbose)
                {
                    await Console.Error.WriteLineAsync($"loaded {n} documents into {database}.{collection} from {path}").ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or FormatException or InvalidOperationException)
            {
                await Console.Error.WriteLineAsync($"error: cannot load {path} into {database}.{collection}: {e.Message}").ConfigureAwait(false);
                return 1;
            }
        }

        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true; // exit 0 through the normal path, not the runtime's default
            stop.TrySetResult();
        }
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);

        Console.Out.WriteLine($"listening mongodb://127.0.0.1:{server.Port}/");
        Console.Out.Flush();

        if (watchStdin)
        {
            _ = Task.Run(async () =>
            {
                using var stdin = Console.OpenStandardInput();
                var buffer = new byte[256];
                while (await stdin.ReadAsync(buffer).ConfigureAwait(false) > 0)
                {
                }
                stop.TrySetResult();
            });
        }
        await stop.Task.ConfigureAwait(false);
        return 0;
    }

    private static bool TryParseLoad(string spec, out (string Database, string Collection, string Path) load)
    {
        load = default;
        int eq = spec.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            return false;
        }
        string ns = spec[..eq];
        int dot = ns.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || dot == ns.Length - 1 || eq == spec.Length - 1)
        {
            return false;
        }
        load = (ns[..dot], ns[(dot + 1)..], spec[(eq + 1)..]);
        return true;
    }
}
