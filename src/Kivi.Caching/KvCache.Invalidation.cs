namespace Kivi.Caching;

public sealed partial class KvCache
{
    private long _position = -1;
    private long _lastLineAt;
    private long _caughtUpAt;
    private volatile bool _connected;

    /// <summary>The version of the last change applied from the feed; -1 before the first line.</summary>
    public long Position => Volatile.Read(ref _position);

    /// <summary>Connected, and a line arrived within <see cref="KvCacheOptions.FeedHealthTimeout"/>.</summary>
    public bool FeedHealthy => _connected && _time.GetElapsedTime(Volatile.Read(ref _lastLineAt)) <= Options.FeedHealthTimeout;

    /// <summary>Whether the feed is healthy and caught up with the upstream's head within the health timeout.</summary>
    public bool IsCurrent => FeedHealthy && CaughtUpAt != 0 && _time.GetElapsedTime(CaughtUpAt) <= Options.FeedHealthTimeout;

    /// <summary>When the feed last caught up with the upstream's head (a <see cref="TimeProvider"/> timestamp, 0 if never).</summary>
    public long CaughtUpAt => Volatile.Read(ref _caughtUpAt);

    /// <summary>Applies one feed line: refreshes or drops what it changes, and tracks the feed's health.</summary>
    public void Apply(FeedEvent e)
    {
        long now = _time.GetTimestamp();
        Volatile.Write(ref _lastLineAt, now);
        _connected = true;
        switch (e.Kind)
        {
            case FeedEventKind.Heartbeat:
                if (Position < 0) Volatile.Write(ref _position, e.Head); // a fresh follower starts at the head
                break;
            case FeedEventKind.Checkpoint:
                Advance(e.Head);
                break;
            case FeedEventKind.Reset:
                // Changes were lost to this reader: nothing held can be trusted to be current.
                _store.Clear();
                ClearLists();
                Volatile.Write(ref _position, e.Head);
                break;
            case FeedEventKind.NamespaceDropped:
                _store.RemoveWhere((k, _) => k.NamespaceId == e.NamespaceId);
                DropLists(e.NamespaceId!);
                Advance(e.Version);
                break;
            default:
                var key = new CacheKey(e.NamespaceId!, e.Key!);
                RaiseFloor(key, e.Version);
                if (_store.Get(key) is { } held && held.AsOf < e.Version)
                {
                    if (e.Kind == FeedEventKind.Put && e.Value is { } value)
                        _store.Install(key, new CachedEntry(value, e.Metadata, e.Expiration, e.Version, e.Version, now));
                    else if (e.Kind != FeedEventKind.Put)
                        _store.Install(key, new CachedEntry(null, null, null, 0, e.Version, now));
                    else
                        _store.Remove(key); // too large to travel inline: the next read fetches it
                }
                InvalidateLists(key);
                Advance(e.Version);
                break;
        }
        if (e.Head > 0 && Position >= e.Head) Volatile.Write(ref _caughtUpAt, now);
        Applied?.Invoke(e);
    }

    /// <summary>Raised after each feed line is applied (edges relay them to the tier below).</summary>
    public event Action<FeedEvent>? Applied;

    /// <summary>The connection to the feed ended; cached misses stop being served until it is back.</summary>
    public void FeedDisconnected() => _connected = false;

    /// <summary>
    /// Read-your-writes: a write through this cache was acknowledged at <paramref name="version"/>. With the
    /// value at hand it is installed; otherwise what the cache held is dropped and in-flight reads that
    /// predate the write are retried.
    /// </summary>
    public void ObserveWrite(CacheKey key, long version, CachedEntry? written)
    {
        RaiseFloor(key, version);
        if (written is not null) _store.Install(key, written);
        else if (_store.Get(key) is { } held && held.AsOf < version) _store.Remove(key);
        InvalidateLists(key);
    }

    /// <summary>A namespace deleted through this cache: forget it at once rather than when the feed says so.</summary>
    public void ObserveNamespaceDropped(string namespaceId)
    {
        _store.RemoveWhere((k, _) => k.NamespaceId == namespaceId);
        DropLists(namespaceId);
    }

    /// <summary>Builds the entry a write installs (it is current as of its own version, now).</summary>
    public CachedEntry WrittenEntry(byte[]? value, string? metadata, long? expiration, long version) =>
        new(value, metadata, expiration, value is null ? 0 : version, version, _time.GetTimestamp());

    private void Advance(long version)
    {
        long seen;
        while ((seen = Volatile.Read(ref _position)) < version && Interlocked.CompareExchange(ref _position, version, seen) != seen) { }
    }
}
