using System.Collections.Concurrent;

namespace Kivi.Caching;

public sealed partial class KvCache
{
    /// <summary>One upstream read shared by every reader of a key that missed while it was under way.</summary>
    private sealed class Flight
    {
        private readonly TaskCompletionSource<CacheRead?> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _floor;

        public Task<CacheRead?> Task => _done.Task;

        /// <summary>The upstream position an answer must reach: raised by every change to the key seen meanwhile.</summary>
        public long Floor => Volatile.Read(ref _floor);

        public void RaiseFloor(long version)
        {
            long seen;
            while ((seen = Volatile.Read(ref _floor)) < version && Interlocked.CompareExchange(ref _floor, version, seen) != seen) { }
        }

        /// <summary>Null tells the waiters to read for themselves: a read-through body cannot be shared.</summary>
        public void Complete(CacheRead? read) => _done.TrySetResult(read);
        public void Fail(Exception e) => _done.TrySetException(e);
    }

    private async Task<CacheRead> FetchAsync(CacheKey key, CancellationToken cancellationToken)
    {
        var mine = new Flight();
        var flight = _flights.GetOrAdd(key, mine);
        if (flight != mine)
        {
            if (await flight.Task.WaitAsync(cancellationToken) is { } shared) return shared;
            return await ReadThroughAsync(key, new Flight());
        }
        try
        {
            // Not cancelled with this reader: others wait on it. The upstream bounds it with its own timeout.
            var read = await ReadThroughAsync(key, mine);
            mine.Complete(read.Body is null ? read : null);
            return read;
        }
        catch (Exception e)
        {
            mine.Fail(e);
            throw;
        }
        finally
        {
            _flights.TryRemove(new KeyValuePair<CacheKey, Flight>(key, mine));
        }
    }

    private async Task<CacheRead> ReadThroughAsync(CacheKey key, Flight flight)
    {
        for (int attempt = 0; ; attempt++)
        {
            bool healthyBefore = FeedHealthy;
            long knownAt = _time.GetTimestamp();
            var read = await _upstream.GetAsync(key, CancellationToken.None);
            if (read.StoreId is { } store && Lineage is { } known && store != known.StoreId)
            {
                ResetForeignAnswer(store);
                flight = new Flight(); // floors raised by the old store's feed mean nothing now
            }
            if (read.AsOf < flight.Floor)
            {
                // A change to this key arrived while the read was under way, and the answer predates it.
                await read.DisposeAsync();
                if (attempt < 2) continue;
                throw new UpstreamUnavailableException($"The upstream answered from version {read.AsOf}, behind version {flight.Floor} already seen for this key.");
            }
            if (read.Body is not null)
                return new CacheRead(new CachedEntry(null, read.Metadata, read.Expiration, read.Version, read.AsOf, knownAt), read, null);
            var entry = read.Found
                ? new CachedEntry(read.Value ?? [], read.Metadata, read.Expiration, read.Version, read.AsOf, knownAt)
                : new CachedEntry(null, null, null, 0, read.AsOf, knownAt);
            // Install returns a newer entry when the feed got there first: readers never go back in versions.
            if (entry.IsPresent || (healthyBefore && FeedHealthy))
            {
                NoteHeld(read.Epoch, read.AsOf);
                return new CacheRead(_store.Install(key, entry), null, null);
            }
            if (_store.Get(key) is { } held && held.AsOf > entry.AsOf && !held.IsExpiredAt(UnixNow)) return new CacheRead(held, null, null);
            return new CacheRead(entry, null, null);
        }
    }

    /// <summary>Makes an in-flight read of <paramref name="key"/> retry if its answer predates <paramref name="version"/>.</summary>
    private void RaiseFloor(in CacheKey key, long version)
    {
        if (_flights.TryGetValue(key, out var flight)) flight.RaiseFloor(version);
    }
}
