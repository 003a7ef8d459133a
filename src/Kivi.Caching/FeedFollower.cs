namespace Kivi.Caching;

/// <summary>
/// Follows an upstream's change feed into a <see cref="KvCache"/>: resumes from the last applied version
/// after any disconnect, backing off while the upstream is down, until disposed.
/// </summary>
public sealed class FeedFollower : IAsyncDisposable
{
    /// <summary>How often an outage that goes on is reported again, with its latest failure.</summary>
    public static readonly TimeSpan DefaultOutageReminder = TimeSpan.FromMinutes(1);

    private readonly KvCache _cache;
    private readonly IKvFeed _feed;
    private readonly TimeProvider _time;
    private readonly Action<FeedOutage>? _onOutage;
    private readonly TimeSpan _reminder;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private int _disposed;

    /// <param name="onOutage">
    /// Told when the feed stops working (its first failure after it last delivered a line), again every
    /// <paramref name="outageReminder"/> while it stays down (with the latest failure: retries are otherwise silent),
    /// and when a line arrives again. Never told of each retry.
    /// </param>
    public FeedFollower(KvCache cache, IKvFeed feed, TimeProvider time, Action<FeedOutage>? onOutage = null, TimeSpan? outageReminder = null)
    {
        _cache = cache;
        _feed = feed;
        _time = time;
        _onOutage = onOutage;
        _reminder = outageReminder ?? DefaultOutageReminder;
    }

    public void Start() => _loop ??= Task.Run(() => RunAsync(_stop.Token));

    private async Task RunAsync(CancellationToken ct)
    {
        var backoff = TimeSpan.FromMilliseconds(50);
        long downSince = 0, remindedAt = 0; // timestamps; 0 while the feed works
        int failures = 0;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await foreach (var e in _feed.ReadAsync(_cache.ResumePosition, ct))
                {
                    _cache.Apply(e);
                    backoff = TimeSpan.FromMilliseconds(50);
                    if (downSince != 0)
                    {
                        _onOutage?.Invoke(new FeedOutage(FeedOutagePhase.Ended, null, _time.GetElapsedTime(downSince), failures));
                        downSince = 0;
                        failures = 0;
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                failures++;
                if (downSince == 0)
                {
                    downSince = remindedAt = _time.GetTimestamp();
                    _onOutage?.Invoke(new FeedOutage(FeedOutagePhase.Began, e.Message, TimeSpan.Zero, failures));
                }
                else if (_time.GetElapsedTime(remindedAt) >= _reminder)
                {
                    remindedAt = _time.GetTimestamp();
                    _onOutage?.Invoke(new FeedOutage(FeedOutagePhase.Continues, e.Message, _time.GetElapsedTime(downSince), failures));
                }
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

/// <summary>Where an outage of the feed stands.</summary>
public enum FeedOutagePhase
{
    /// <summary>The first failure after the feed last delivered a line.</summary>
    Began,

    /// <summary>Still down: reported at each reminder with the latest failure.</summary>
    Continues,

    /// <summary>A line arrived again.</summary>
    Ended,
}

/// <param name="Reason">The latest failure (null once it ended).</param>
/// <param name="DownFor">Since the first failure.</param>
/// <param name="Failures">Attempts that failed so far, the first included.</param>
public readonly record struct FeedOutage(FeedOutagePhase Phase, string? Reason, TimeSpan DownFor, int Failures);
