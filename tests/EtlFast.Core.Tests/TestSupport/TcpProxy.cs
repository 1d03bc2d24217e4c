using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace EtlFast.Core.Tests.TestSupport;

/// <summary>Which way bytes go through a <see cref="TcpProxy"/>.</summary>
public enum Flow
{
    ClientToServer = 0,
    ServerToClient = 1,
}

/// <summary>What a <see cref="TcpProxy"/> fault does to the connection that trips it.</summary>
public enum ProxyFault
{
    /// <summary>Both sockets closed with RST (linger 0), as a dropped NAT entry or a crashed middlebox does.</summary>
    Reset,
    /// <summary>Half-open: nothing more is forwarded either way and nothing read, but both sockets stay open.</summary>
    Stall,
    /// <summary>The server side stops reading: bytes from the client are no longer read (so its sends block); replies still flow.</summary>
    StopReadingClient,
}

/// <summary>
/// A loopback TCP proxy for tests, between a client and a server on 127.0.0.1: it listens on a free
/// port and forwards each connection to the upstream port, with knobs for added latency, a bandwidth
/// cap and one fault. A fault is armed with a byte count in one direction; the first connection to
/// forward that many bytes that way gets exactly that many through and then the fault, so the moment is
/// set by the protocol's bytes, not by a clock.
/// </summary>
internal sealed class TcpProxy : IDisposable
{
    private const int ReadSize = 16 * 1024;
    private readonly TcpListener _listener;
    private readonly IPEndPoint _upstream;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Link> _links = [];
    private readonly Task _accepting;
    private Armed? _armed;
    private int _accepted;
    private int _disposed;
    private int _fired;
    private readonly long[] _forwarded = new long[2];

    public TcpProxy(int upstreamPort)
    {
        _upstream = new IPEndPoint(IPAddress.Loopback, upstreamPort);
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = Task.Run(AcceptLoop);
    }

    public int Port { get; }

    /// <summary>Added to every round trip: each chunk of bytes is delivered half of it later, each way (pipelined, as a long link is).</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>Bytes per second each direction of each connection may carry; 0: no cap.</summary>
    public long BytesPerSecond { get; set; }

    /// <summary>After the armed fault fired, new connections are stalled too (a host that is gone, not one connection).</summary>
    public bool StallNewConnections { get; set; }

    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>How many times the armed fault fired (0 or 1).</summary>
    public int Fired => Volatile.Read(ref _fired);

    /// <summary>Bytes forwarded in one direction, all connections together.</summary>
    public long Forwarded(Flow flow) => Interlocked.Read(ref _forwarded[(int)flow]);

    /// <summary>Arms one fault: the first connection to forward <paramref name="bytes"/> bytes in <paramref name="flow"/> gets it.</summary>
    public void Arm(ProxyFault fault, Flow flow, long bytes, bool stallNewConnectionsAfter = false)
        => Volatile.Write(ref _armed, new Armed(fault, flow, bytes, stallNewConnectionsAfter));

    /// <summary>Disarms the fault and lets new connections through again (stalled ones stay stalled).</summary>
    public void Heal()
    {
        Volatile.Write(ref _armed, null);
        StallNewConnections = false;
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            Interlocked.Increment(ref _accepted);
            _ = Task.Run(() => Serve(client));
        }
    }

    private async Task Serve(Socket client)
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var link = new Link(client, server) { Stalled = StallNewConnections };
        lock (_links)
        {
            _links.Add(link);
        }
        try
        {
            client.NoDelay = true;
            server.NoDelay = true;
            await server.ConnectAsync(_upstream, _stop.Token);
            await Task.WhenAll(Pump(link, Flow.ClientToServer), Pump(link, Flow.ServerToClient));
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or ChannelClosedException or IOException)
        {
        }
        finally
        {
            link.Close(reset: link.Failed);
        }
    }

    /// <summary>One direction: a reader that stamps each chunk with when it may be delivered, and a writer that waits for it.</summary>
    private async Task Pump(Link link, Flow flow)
    {
        (Socket from, Socket to) = flow == Flow.ClientToServer ? (link.Client, link.Server) : (link.Server, link.Client);
        var queue = Channel.CreateBounded<(byte[] Data, int Length, long Due)>(4);
        CancellationToken stop = _stop.Token;
        Task reading = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    await link.WhileHeld(flow, reading: true, stop);
                    byte[] buffer = new byte[ReadSize];
                    int n = await from.ReceiveAsync(buffer, SocketFlags.None, stop);
                    if (n == 0)
                    {
                        break;
                    }
                    long due = Stopwatch.GetTimestamp() + (long)(Latency.TotalSeconds / 2 * Stopwatch.Frequency);
                    await queue.Writer.WriteAsync((buffer, n, due), stop);
                }
                queue.Writer.TryComplete();
            }
#pragma warning disable CA1031 // whatever ends the read ends the direction; the writer sees it through the channel
            catch (Exception e)
#pragma warning restore CA1031
            {
                link.Failed = e is SocketException;
                queue.Writer.TryComplete(e);
            }
        }, stop);

        long nextFree = Stopwatch.GetTimestamp();
        await foreach ((byte[] data, int length, long due) in queue.Reader.ReadAllAsync(stop))
        {
            await Until(due, stop);
            for (int offset = 0; offset < length;)
            {
                await link.WhileHeld(flow, reading: false, stop);
                int n = BytesPerSecond > 0 ? Math.Min(length - offset, 4096) : length - offset;
                Armed? armed = Volatile.Read(ref _armed);
                bool trips = armed is not null && armed.Flow == flow && link.Counts[(int)flow] + n >= armed.Bytes;
                if (trips)
                {
                    n = (int)Math.Max(0, armed!.Bytes - link.Counts[(int)flow]);
                }
                if (n > 0)
                {
                    await Send(to, data.AsMemory(offset, n), stop);
                    link.Counts[(int)flow] += n;
                    Interlocked.Add(ref _forwarded[(int)flow], n);
                    offset += n;
                }
                if (trips && Interlocked.CompareExchange(ref _armed, null, armed) == armed)
                {
                    Fire(link, armed!);
                }
                if (BytesPerSecond > 0)
                {
                    nextFree = Math.Max(nextFree, Stopwatch.GetTimestamp()) + n * Stopwatch.Frequency / BytesPerSecond;
                    await Until(nextFree, stop);
                }
            }
        }
        await reading;
        if (!link.Failed)
        {
            try
            {
                to.Shutdown(SocketShutdown.Send); // the other side's end of stream, passed on
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
        }
    }

    private void Fire(Link link, Armed armed)
    {
        Interlocked.Increment(ref _fired);
        switch (armed.Fault)
        {
            case ProxyFault.Reset:
                link.Close(reset: true);
                break;
            case ProxyFault.Stall:
                link.Stalled = true;
                break;
            default:
                link.ClientUnread = true;
                break;
        }
        if (armed.StallNewAfter)
        {
            StallNewConnections = true;
        }
    }

    private static async Task Send(Socket to, ReadOnlyMemory<byte> data, CancellationToken stop)
    {
        while (data.Length > 0)
        {
            int sent = await to.SendAsync(data, SocketFlags.None, stop);
            data = data[sent..];
        }
    }

    private static async Task Until(long timestamp, CancellationToken stop)
    {
        long wait = timestamp - Stopwatch.GetTimestamp();
        if (wait > 0)
        {
            await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency), stop);
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        _stop.Cancel();
        _listener.Stop();
        lock (_links)
        {
            foreach (Link l in _links)
            {
                l.Close(reset: false);
            }
        }
        try
        {
            _accepting.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
        _stop.Dispose();
    }

    private sealed record Armed(ProxyFault Fault, Flow Flow, long Bytes, bool StallNewAfter);

    /// <summary>One proxied connection: its two sockets, bytes forwarded each way, and the faults that hold it.</summary>
    private sealed class Link(Socket client, Socket server)
    {
        private int _closed;

        public Socket Client { get; } = client;

        public Socket Server { get; } = server;

        public long[] Counts { get; } = new long[2];

        public volatile bool Stalled;

        public volatile bool ClientUnread;

        public volatile bool Failed;

        /// <summary>Waits (until the proxy stops) while a fault holds this side: a stall holds everything, StopReadingClient the client's reads.</summary>
        public async Task WhileHeld(Flow flow, bool reading, CancellationToken stop)
        {
            while (Stalled || (reading && flow == Flow.ClientToServer && ClientUnread))
            {
                await Task.Delay(Timeout.Infinite, stop);
            }
        }

        public void Close(bool reset)
        {
            if (Interlocked.Exchange(ref _closed, 1) == 1)
            {
                return;
            }
            foreach (Socket s in new[] { Client, Server })
            {
                try
                {
                    if (reset)
                    {
                        s.LingerState = new LingerOption(true, 0); // close sends RST, not FIN
                    }
                    s.Close();
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                }
            }
        }
    }
}
