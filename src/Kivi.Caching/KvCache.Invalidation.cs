using Kivi.Protocol;
namespace Kivi.Caching;

public sealed partial class KvCache
{
    private long _position = -1;
    private long _lastLineAt;
    private long _caughtUpAt;
    private volatile bool _connected;
    private volatile Kivi.Protocol.StoreLineage? _lineage;
    private long _resets;
    private long _upstreamHead = -1;
    private long _followingSince; // when the feed's first line (since start or a reset) came: lag is timed from here at most
    private readonly Lock _heldLock = new();
    // The newest answer installed from outside the feed of each epoch it came from, until the feed covers it (the newest
    // of them all is what the feed resumes with).
    private readonly List<Kivi.Protocol.EpochPosition> _heldByEpoch = [];
    private bool _heldOverflow; // answers from more epochs than are tracked: the next lineage cannot clear them all

    /// <summary>Epochs whose answers are tracked until the feed covers them; answers from more make the next lineage reset the cache.</summary>
    private const int MaxHeldEpochs = 8;

    /// <summary>The store and history the cache's position belongs to, as its upstream last said; null before it has.</summary>
    public Kivi.Protocol.StoreLineage? Lineage => _lineage;

    /// <summary>How many times the cache dropped everything it held because its upstream could not continue its history.</summary>
    public long Resets => Interlocked.Read(ref _resets);

    /// <summary>Raised when the cache drops everything it holds, with the reason (edges log it).</summary>
    public event Action<string>? ResetOccurred;

    /// <summary>
    /// Where the feed resumes: <see cref="Position"/> in <see cref="Lineage"/>, and the newest answer installed from
    /// outside the feed when it is past the position. An upstream restored from an older copy may still continue the
    /// position (its history kept it) while no longer having what was read or written past it: this says so.
    /// </summary>
    public FeedPosition ResumePosition
    {
        get
        {
            long position = Position;
            lock (_heldLock)
            {
                Kivi.Protocol.EpochPosition? newest = null;
                foreach (var h in _heldByEpoch)
                    if (h.Version > position && (newest is not { } n || h.Version > n.Version)) newest = h;
                return new FeedPosition(position, _lineage, newest);
            }
        }
    }

    /// <summary>Notes an answer installed from outside the feed: as of <paramref name="version"/>, from the upstream's <paramref name="epoch"/> (if it said).</summary>
    private void NoteHeld(long? epoch, long version)
    {
        if (epoch is not { } e) return;
        lock (_heldLock)
        {
            int i = _heldByEpoch.FindIndex(p => p.Epoch == e);
            if (i >= 0) _heldByEpoch[i] = new(e, Math.Max(version, _heldByEpoch[i].Version));
            else if (_heldByEpoch.Count < MaxHeldEpochs) _heldByEpoch.Add(new(e, version));
            else
            {
                // Too many epochs to track: the next lineage resets the cache; until then the newest answer is still the one resumed with.
                _heldOverflow = true;
                int oldest = 0;
                for (int j = 1; j < _heldByEpoch.Count; j++) if (_heldByEpoch[j].Version < _heldByEpoch[oldest].Version) oldest = j;
                if (version > _heldByEpoch[oldest].Version) _heldByEpoch[oldest] = new(e, version);
            }
        }
    }

    /// <summary>
    /// An answer held from outside the feed that <paramref name="lineage"/> does not pass through (ahead of its head is
    /// fine), if any; answers it passes through that the feed's position has since covered are no longer tracked.
    /// </summary>
    private Kivi.Protocol.EpochPosition? HeldOutside(Kivi.Protocol.StoreLineage lineage)
    {
        lock (_heldLock)
        {
            if (_heldByEpoch.Count == 0) return null;
            if (_heldOverflow) return _heldByEpoch[0];
            foreach (var h in _heldByEpoch)
                if (!lineage.Continues(h.Epoch, h.Version, long.MaxValue)) return h;
            long position = Position;
            _heldByEpoch.RemoveAll(h => h.Version <= position);
            return null;
        }
    }

    /// <summary>The version of the last change applied from the feed; -1 before the first line.</summary>
    public long Position => Volatile.Read(ref _position);

    /// <summary>The newest head the upstream has announced (-1 before its first line): the feed's lag is this less <see cref="Position"/>.</summary>
    public long UpstreamHead => Volatile.Read(ref _upstreamHead);

    /// <summary>Versions the cache is behind its upstream's announced head.</summary>
    public long LagVersions => Math.Max(0, UpstreamHead - Position);

    /// <summary>How long the cache has been behind its upstream's head (zero when caught up).</summary>
    public TimeSpan LagTime => LagVersions == 0 ? TimeSpan.Zero : _time.GetElapsedTime(Math.Max(CaughtUpAt, Volatile.Read(ref _followingSince)));

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
        if (e.Head > Volatile.Read(ref _upstreamHead)) Volatile.Write(ref _upstreamHead, e.Head); // only the feed's thread writes it
        if (Volatile.Read(ref _followingSince) == 0) Volatile.Write(ref _followingSince, now);
        switch (e.Type, e.Kind)
        {
            case (FeedLineType.Heartbeat, _):
                if (e.Lineage is { } lineage && _lineage is { } known && lineage.StoreId != known.StoreId)
                {
                    Reset(e.Head, lineage, $"the upstream is a different store ({lineage.StoreId}, was {known.StoreId})");
                    e = FeedEvent.ResetTo(e.Head, lineage); // relayed as a reset to the tiers below
                    break;
                }
                if (Position >= 0 && e.Head < Position)
                {
                    // The upstream is behind what this cache already applied: an older copy of its store.
                    Reset(e.Head, e.Lineage ?? _lineage, $"the upstream's head {e.Head} is below this cache's position {Position}");
                    e = FeedEvent.ResetTo(e.Head, e.Lineage ?? _lineage);
                    break;
                }
                if (e.Lineage is { } told && HeldOutside(told) is { } stranger)
                {
                    // Answers filled from outside the feed that the store's history no longer passes through (restored from an
                    // older copy, or another store). The upstream checks only the newest one, and nothing before the feed's
                    // first line (a cache with no position resumes with nothing to check): every epoch answered from is checked here.
                    Reset(e.Head, told, $"answers held from outside the feed came from a history the upstream no longer has (epoch {stranger.Epoch} at version {stranger.Version})");
                    e = FeedEvent.ResetTo(e.Head, told);
                    break;
                }
                if (e.Lineage is not null) _lineage = e.Lineage;
                if (Position < 0) Volatile.Write(ref _position, e.Head); // a fresh follower starts at the head
                break;
            case (FeedLineType.Checkpoint, _):
                Advance(e.Head);
                break;
            case (FeedLineType.Change, ChangeKind.Reset):
                // Changes were lost to this reader, or its position is from another history: nothing held can be trusted.
                Reset(e.Head, e.Lineage ?? _lineage, "the upstream could not continue this cache's feed position");
                break;
            case (FeedLineType.Change, ChangeKind.NamespaceDropped):
                _store.RemoveWhere((k, _) => k.NamespaceId == e.NamespaceId);
                DropLists(e.NamespaceId!);
                Advance(e.Version);
                break;
            default:
                var key = new CacheKey(e.NamespaceId!, e.Key!);
                RaiseFloor(key, e.Version);
                if (_store.Get(key) is { } held && held.AsOf < e.Version)
                {
                    if (e.Kind == ChangeKind.Put && e.Value is { } value)
                        _store.Install(key, new CachedEntry(value, e.Metadata, e.Expiration, e.Version, e.Version, now));
                    else if (e.Kind != ChangeKind.Put)
                        _store.Install(key, new CachedEntry(null, null, null, 0, e.Version, now));
                    else
                        _store.Remove(key); // too large to travel inline: the next read fetches it
                }
                InvalidateLists(key);
                Advance(e.Version);
                break;
        }
        // A change line relayed by an edge that is not current says head 0 (no claim); a heartbeat always claims its head,
        // 0 included (a store with no changes yet: its edges, and the tiers below them, are current too).
        if ((e.Head > 0 || e.Type == FeedLineType.Heartbeat) && Position >= e.Head) Volatile.Write(ref _caughtUpAt, now);
        Applied?.Invoke(e);
    }

    /// <summary>Drops everything held and starts again at <paramref name="head"/> of <paramref name="lineage"/>.</summary>
    private void Reset(long head, Kivi.Protocol.StoreLineage? lineage, string reason)
    {
        Interlocked.Increment(ref _resets); // counted first: whoever sees an entry gone with the reset also sees the count
        _store.Clear();
        lock (_heldLock)
        {
            _heldByEpoch.Clear();
            _heldOverflow = false;
        }
        ClearLists();
        _lineage = lineage;
        Volatile.Write(ref _position, head);
        Volatile.Write(ref _upstreamHead, head);
        Volatile.Write(ref _caughtUpAt, 0);
        Volatile.Write(ref _followingSince, 0);
        ResetOccurred?.Invoke(reason);
    }

    /// <summary>
    /// An answer came from a store other than the one this cache follows (its upstream was replaced): drop
    /// everything and follow the new store from its head once the feed reconnects.
    /// </summary>
    private void ResetForeignAnswer(string storeId)
    {
        var known = _lineage;
        if (known is null || known.StoreId == storeId) return;
        Reset(-1, null, $"an answer came from a different store ({storeId}, was {known.StoreId})");
        Applied?.Invoke(FeedEvent.ResetTo(-1));
    }

    /// <summary>Raised after each feed line is applied (edges relay them to the tier below).</summary>
    public event Action<FeedEvent>? Applied;

    /// <summary>The connection to the feed ended; cached misses stop being served until it is back.</summary>
    public void FeedDisconnected() => _connected = false;

    /// <summary>
    /// Read-your-writes: a write through this cache was acknowledged at <paramref name="version"/>. With the
    /// value at hand it is installed; otherwise what the cache held is dropped and in-flight reads that
    /// predate the write are retried. <paramref name="epoch"/> is the store's epoch the write's answer named (<see cref="Kivi.Protocol.KiviHeaders.Epoch"/>).
    /// </summary>
    public void ObserveWrite(CacheKey key, long version, CachedEntry? written, long? epoch = null)
    {
        RaiseFloor(key, version);
        if (written is not null)
        {
            NoteHeld(epoch, version);
            _store.Install(key, written);
        }
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
