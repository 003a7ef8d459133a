using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Kivi.Testing;

/// <summary>
/// A TCP relay between an edge and its origin that can stall or cut the connections carrying the change
/// feed while every other request flows, to test what an edge does when its feed breaks.
/// </summary>
public sealed class FeedGate : IAsyncDisposable
{
    private static readonly byte[] FeedRequest = Encoding.ASCII.GetBytes("GET /client/v4/kivi/changes");
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Uri _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Pipe> _pipes = [];
    private readonly Task _accepting;
    private volatile bool _stalled, _refused;
    private int _delivering; // feed chunks being written to the edge right now

    private sealed class Pipe(TcpClient client, TcpClient server)
    {
        public readonly TcpClient Client = client, Server = server;
        public volatile bool CarriesFeed;
        public void Close()
        {
            Client.Close();
            Server.Close();
        }
    }

    public FeedGate(Uri target)
    {
        _target = target;
        _listener.Start();
        Address = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _accepting = AcceptAsync();
    }

    public Uri Address { get; }

    /// <summary>
    /// Feed connections stop delivering bytes (the connection stays open: a silent stall). Completes once no feed
    /// byte is on its way to the edge, so nothing the origin sends from then on reaches it.
    /// </summary>
    public async Task StallAsync()
    {
        _stalled = true;
        Interlocked.MemoryBarrier(); // the flag is seen before the count is read (the pumps count, then read the flag)
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (Volatile.Read(ref _delivering) > 0) await Task.Delay(1, deadline.Token);
    }

    /// <summary>Feed connections close, and new feed requests are refused until <see cref="Resume"/>.</summary>
    public void Cut()
    {
        _refused = true;
        lock (_pipes) foreach (var p in _pipes.Where(p => p.CarriesFeed)) p.Close();
    }

    /// <summary>Stalled feed connections are closed (the edge reconnects and resumes from its version); new ones flow.</summary>
    public void Resume()
    {
        lock (_pipes) foreach (var p in _pipes.Where(p => p.CarriesFeed)) p.Close();
        _stalled = false;
        _refused = false;
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var server = new TcpClient();
            try
            {
                await server.ConnectAsync(_target.Host, _target.Port, _stop.Token);
            }
            catch (SocketException)
            {
                client.Close();
                server.Dispose();
                continue;
            }
            var pipe = new Pipe(client, server);
            lock (_pipes) _pipes.Add(pipe);
            _ = PumpAsync(pipe, toServer: true);
            _ = PumpAsync(pipe, toServer: false);
        }
    }

    private async Task PumpAsync(Pipe pipe, bool toServer)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            var from = (toServer ? pipe.Client : pipe.Server).GetStream();
            var to = (toServer ? pipe.Server : pipe.Client).GetStream();
            while (true)
            {
                int n = await from.ReadAsync(buffer, _stop.Token);
                if (n == 0) break;
                if (toServer && buffer.AsSpan(0, n).IndexOf(FeedRequest) >= 0)
                {
                    pipe.CarriesFeed = true;
                    if (_refused) break;
                }
                bool feed = !toServer && pipe.CarriesFeed;
                if (feed)
                {
                    // Counted before the stall is checked: StallAsync sees either this chunk's delivery or none.
                    Interlocked.Increment(ref _delivering);
                    while (_stalled)
                    {
                        Interlocked.Decrement(ref _delivering);
                        await Task.Delay(20, _stop.Token);
                        Interlocked.Increment(ref _delivering);
                    }
                }
                try
                {
                    await to.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
                }
                finally
                {
                    if (feed) Interlocked.Decrement(ref _delivering);
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // one side went away
        }
        pipe.Close();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        lock (_pipes) foreach (var p in _pipes) p.Close();
        await _accepting;
        _stop.Dispose();
    }
}
