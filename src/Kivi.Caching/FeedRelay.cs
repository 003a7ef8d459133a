using Kivi.Protocol;
namespace Kivi.Caching;

/// <summary>
/// Keeps the most recent feed lines an edge applied, so the edges below it (tiers) can follow it as they
/// would an origin: a reader behind the kept window, or behind a reset this edge went through, is told to reset.
/// </summary>
public sealed class FeedRelay
{
    private readonly FeedEvent[] _ring;
    private readonly Lock _lock = new();
    private long _count; // lines kept since the last reset; the ring holds the newest _ring.Length of them
    private long _resetBelow = long.MinValue; // a reader behind this missed lines: it resets (or, watching, is sent upstream)
    private bool _started; // a line came: what came before the cache's position then was never kept
    private int _resetCount; // every reader connected before a reset this edge went through must reset too
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public FeedRelay(KvCache cache)
    {
        _ring = new FeedEvent[Math.Max(1, cache.Options.RelayEvents)];
        Cache = cache;
        cache.Applied += OnApplied;
    }

    public KvCache Cache { get; }

    private void OnApplied(FeedEvent e)
    {
        if (e.Type is FeedLineType.Heartbeat or FeedLineType.Checkpoint)
        {
            if (!Volatile.Read(ref _started))
                lock (_lock)
                {
                    // The relay keeps lines from the cache's first position on (a fresh follower starts at its upstream's head).
                    if (!_started) _resetBelow = Math.Max(_resetBelow, Cache.Position);
                    _started = true;
                }
            return;
        }
        TaskCompletionSource changed;
        lock (_lock)
        {
            if (!_started) _resetBelow = Math.Max(_resetBelow, e.Version - 1);
            _started = true;
            if (e.Is(ChangeKind.Reset))
            {
                _count = 0;
                _resetBelow = e.Head;
                _started = false; // the cache starts again where its next line puts it (a reset to -1 has it take the upstream's head)
                _resetCount++;
            }
            else
            {
                long slot = _count % _ring.Length;
                if (_count >= _ring.Length) _resetBelow = Math.Max(_resetBelow, _ring[slot].Version); // that line is lost to slow readers
                _ring[slot] = e;
                _count++;
            }
            changed = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.TrySetResult();
    }

    /// <summary>Whether a reader at <paramref name="afterVersion"/> can follow from what is kept (nothing it needs was dropped or came before the relay started).</summary>
    public bool Keeps(long afterVersion)
    {
        lock (_lock) return _started && afterVersion >= _resetBelow;
    }

    /// <summary>How many resets this edge went through: a reader notes it when it connects and passes it to <see cref="ReadAfter"/>.</summary>
    public int ResetCount
    {
        get { lock (_lock) return _resetCount; }
    }

    /// <summary>
    /// The kept lines after <paramref name="afterVersion"/>, or a single reset when lines it needs are no
    /// longer kept or this edge reset since the reader's <paramref name="resetCount"/> (which is then brought
    /// up to date); with a task that completes when more arrive.
    /// </summary>
    public (IReadOnlyList<FeedEvent> Lines, Task More) ReadAfter(long afterVersion, ref int resetCount)
    {
        lock (_lock)
        {
            if (afterVersion < _resetBelow || resetCount != _resetCount)
            {
                resetCount = _resetCount;
                return ([FeedEvent.ResetTo(Cache.Position, Cache.Lineage)], _changed.Task);
            }
            // Kept lines are in version order: find the first one past the reader by bisection (many readers, each woken by every line).
            long lo = Math.Max(0, _count - _ring.Length), hi = _count;
            while (lo < hi)
            {
                long mid = lo + (hi - lo) / 2;
                if (_ring[mid % _ring.Length].Version > afterVersion) hi = mid;
                else lo = mid + 1;
            }
            if (lo == _count) return ([], _changed.Task);
            var lines = new List<FeedEvent>((int)(_count - lo));
            for (long i = lo; i < _count; i++) lines.Add(_ring[i % _ring.Length]);
            return (lines, _changed.Task);
        }
    }
}
