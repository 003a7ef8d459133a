using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Kivi.Caching;

/// <summary>
/// The edge cache: reads served from memory while they are fresh enough for the caller's cacheTtl, misses
/// filled from the upstream once however many readers wait, changes from the feed applied in place.
/// It never answers with an older version of a key than it answered before, and never serves an expired entry.
/// </summary>
/// <remarks>
/// Freshness: an entry is known current from the moment it was fetched, and again every time the feed
/// catches up with the upstream's head, so with a healthy feed hot keys never need refetching; without
/// one they age out after cacheTtl. Absent keys are served from the cache only while the feed is healthy.
/// </remarks>
public sealed partial class KvCache
{
    private readonly S3FifoStore _store;
    private readonly ConcurrentDictionary<CacheKey, Flight> _flights = new();
    private readonly IKvUpstream _upstream;
    private readonly TimeProvider _time;

    public KvCache(IKvUpstream upstream, KvCacheOptions options, TimeProvider time)
    {
        options.Validate();
        _upstream = upstream;
        Options = options;
        _time = time;
        _store = new S3FifoStore(options.CapacityBytes);
        _coarse = ReferenceEquals(time, TimeProvider.System);
        if (_coarse) CoarseClock.Start();
        _timestampsPerTick = (double)time.TimestampFrequency / TimeSpan.TicksPerSecond;
    }

    private readonly double _timestampsPerTick;

    /// <summary>On the system clock, hits read <see cref="CoarseClock"/> (one load) rather than the kernel's clock.</summary>
    private readonly bool _coarse;

    /// <summary>Now as a timestamp for a hit's freshness check: on the system clock, the coarse clock, which errs late (ages read old).</summary>
    private long HitTimestamp => _coarse ? CoarseClock.Now : _time.GetTimestamp();

    public KvCacheOptions Options { get; }

    /// <summary>Entries held, and the bytes they are counted as.</summary>
    public int Count => _store.Count;
    public long Bytes => _store.Bytes;
    public long Evictions => _store.Evictions;
    public long Hits => _hitStripes.Sum();
    public long Misses => Volatile.Read(ref _misses);
    public long StaleServed => Volatile.Read(ref _stale);

    private long _misses, _stale;

    // Hits counted by memory reads: one padded slot per thread stripe, plain increments (a rare lost
    // count under a race is acceptable for a statistic; a locked add on one shared line is not, at this rate).
    private readonly StripedCounter _hitStripes = new();

    /// <summary>
    /// Reads a key: from memory when the entry was known current within <paramref name="cacheTtl"/>,
    /// otherwise from upstream; when the upstream fails, what the cache holds (up to
    /// <see cref="KvCacheOptions.MaxStaleness"/>) with <see cref="CacheRead.Stale"/> set.
    /// </summary>
    public async ValueTask<CacheRead> GetAsync(CacheKey key, TimeSpan cacheTtl, CancellationToken cancellationToken)
    {
        var cached = _store.Get(key);
        if (cached is not null && IsFresh(cached, cacheTtl))
        {
            _hitStripes.Increment();
            return new CacheRead(cached, null, null);
        }
        Interlocked.Increment(ref _misses);
        try
        {
            return await FetchAsync(key, cancellationToken);
        }
        catch (UpstreamUnavailableException) when (_store.Get(key) is { } held && StaleAge(held) is { } age)
        {
            Interlocked.Increment(ref _stale);
            return new CacheRead(held, null, age);
        }
    }

    /// <summary>
    /// The entry for a key if the cache can answer from memory under <paramref name="cacheTtl"/> (a value
    /// or a cached miss), counting a hit; null when <see cref="GetAsync"/> would have to go upstream.
    /// </summary>
    public CachedEntry? TryGetFresh(CacheKey key, TimeSpan cacheTtl)
    {
        if (_store.Get(key) is not { } cached || !IsFresh(cached, cacheTtl)) return null;
        _hitStripes.Increment();
        return cached;
    }

    /// <summary>
    /// As <see cref="TryGetFresh(CacheKey, TimeSpan)"/>, for a key given as UTF-8 bytes (no allocation), also giving the key's
    /// <paramref name="slot"/> (when the cache holds the key, fresh or not) for <see cref="TryGetFresh(CacheSlot, long)"/> to read again later.
    /// </summary>
    public CachedEntry? TryGetFresh(string namespaceId, ReadOnlySpan<byte> utf8Key, TimeSpan cacheTtl, out CacheSlot? slot)
    {
        slot = _store.GetSlot(new CacheKeySpan(namespaceId, utf8Key));
        if (slot?.Current is not { } cached || !IsFresh(cached, cacheTtl)) return null;
        _hitStripes.Increment();
        return cached;
    }

    /// <summary>
    /// The key's current entry through a slot kept from an earlier read, if the cache can answer from memory: no key
    /// lookup at all. Null when the key has left the cache (take a new slot) or its entry is not fresh enough.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // into the SDK's hot read, with the freshness check: no call on a hit
    public CachedEntry? TryGetFresh(CacheSlot slot, long cacheTtlStamps)
    {
        if (slot.Current is not { } cached || !IsFresh(cached, cacheTtlStamps)) return null;
        S3FifoStore.Touch(slot);
        _hitStripes.IncrementRelaxed();
        return cached;
    }

    /// <summary>A cacheTtl in the timestamps <see cref="TryGetFresh(CacheSlot, long)"/> compares ages in: convert once, read often.</summary>
    public long TtlStamps(TimeSpan cacheTtl) => (long)(cacheTtl.Ticks * _timestampsPerTick);

    /// <summary>The entry the cache holds for a key, without counting a read or going upstream (tests, the dashboard).</summary>
    public CachedEntry? Peek(CacheKey key) => _store.Get(key);

    private bool IsFresh(CachedEntry entry, TimeSpan cacheTtl) => IsFresh(entry, TtlStamps(cacheTtl));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool IsFresh(CachedEntry entry, long cacheTtlStamps)
    {
        if (entry.Expiration is not null && entry.IsExpiredAt(UnixNow)) return false; // the wall clock, exactly, only for entries that expire
        if (!entry.IsPresent && !FeedHealthy) return false; // a cached miss could hide a new key
        long known = Math.Max(entry.KnownAt, Volatile.Read(ref _caughtUpAt));
        // A parked coarse clock reads every entry stale: the cold branch wakes it and judges by the time it then publishes.
        return HitTimestamp - known <= cacheTtlStamps || _coarse && CoarseClock.Wake() - known <= cacheTtlStamps;
    }

    /// <summary>How long ago the entry was last known current, if stale-if-error may still serve it.</summary>
    private TimeSpan? StaleAge(CachedEntry entry)
    {
        if (entry.IsExpiredAt(UnixNow)) return null;
        var age = Age(entry.KnownAt);
        return age <= Options.MaxStaleness ? age : null;
    }

    /// <summary>Time since an entry was known current: since it was fetched, or since the feed last caught up.</summary>
    private TimeSpan Age(long knownAt) => _time.GetElapsedTime(Math.Max(knownAt, Volatile.Read(ref _caughtUpAt)));

    private long UnixNow => _time.GetUtcNow().ToUnixTimeSeconds();
}
