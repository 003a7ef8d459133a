namespace Kivi.Caching;

/// <summary>
/// Follows an upstream's change feed into a <see cref="KvCache"/>: resumes from the last applied version
/// after any disconnect, backing off while the upstream is down, until disposed.
/// </summary>
public sealed class FeedFollower : IAsyncDisposable
{
    private readonly KvCache _cache;
    private readonly IKvFeed _feed;
    private readonly TimeProvider _time;
    private readonly Action<Exception>? _onError;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private int _disposed;

    /// <param name="onError">Told of the first failure after the feed last worked (once per outage, not per retry).</param>
    public FeedFollower(KvCache cache, IKvFeed feed, TimeProvider time, Action<Exception>? onError = null)
    {
        _cache = cache;
        _feed = feed;
        _time = time;
        _onError = onError;
    }

    public void Start() => _loop ??= Task.Run(() => RunAsync(_stop.Token));

    private async Task RunAsync(CancellationToken ct)
    {
        var backoff = TimeSpan.FromMilliseconds(50);
        bool failing = false;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await foreach (var e in _feed.ReadAsync(_cache.ResumePosition, ct))
                {
                    _cache.Apply(e);
                    backoff = TimeSpan.FromMilliseconds(50);
                    failing = false;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                if (!failing) _onError?.Invoke(e);
                failing = true;
            }
            _cache.FeedDisconnected();
            try
            {
                await Task.Delay(backoff, _time, ct);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
        }
    }

    /// <summary>Stops following; safe to call more than once (the host stops it, then its container disposes it).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            try { await _loop; } catch (OperationCanceledException) { }
        }
        _stop.Dispose();
    }
}
