using Kivi.Protocol;
using System.Collections.Concurrent;

namespace Kivi.Caching;

public sealed partial class KvCache
{
    private readonly record struct ListKey(string Prefix, string StartAfter, int Limit);

    /// <summary>A namespace's cached pages, and a counter bumped by every change in it (so a page read across a change is not kept).</summary>
    private sealed class NamespaceLists
    {
        public readonly ConcurrentDictionary<ListKey, (byte[] Prefix, CachedList Page)> Pages = new();
        public long Epoch;
    }

    private readonly ConcurrentDictionary<string, NamespaceLists> _lists = new(StringComparer.Ordinal);
    private int _listPages;

    /// <summary>
    /// A page of keys. Pages are cached only while the feed is healthy (a cached page could hide a new key),
    /// served while known current within <paramref name="cacheTtl"/> and before any of their keys expires,
    /// and dropped by any change under their prefix.
    /// </summary>
    public async ValueTask<CachedList> ListAsync(string namespaceId, byte[] prefix, byte[]? startAfter, int limit, TimeSpan cacheTtl, CancellationToken cancellationToken)
    {
        var lists = _lists.GetOrAdd(namespaceId, _ => new NamespaceLists());
        var id = new ListKey(Convert.ToBase64String(prefix), startAfter is null ? "" : Convert.ToBase64String(startAfter), limit);
        if (lists.Pages.TryGetValue(id, out var held) && FeedHealthy && Age(held.Page.KnownAt) <= cacheTtl && !Expiration.IsExpired(held.Page.FirstExpiration, UnixNow))
        {
            _hitStripes.Increment();
            return held.Page;
        }
        Interlocked.Increment(ref _misses);
        long epoch = Volatile.Read(ref lists.Epoch);
        bool healthy = FeedHealthy;
        long knownAt = _time.GetTimestamp();
        UpstreamList page;
        try
        {
            page = await _upstream.ListAsync(namespaceId, prefix, startAfter, limit, cancellationToken);
        }
        catch (UpstreamUnavailableException) when (held.Page is { } stale && StaleListAge(stale) is not null)
        {
            Interlocked.Increment(ref _stale);
            return stale;
        }
        long? firstExpiration = page.Keys.Min(k => k.Expiration);
        var result = new CachedList(page.Keys, page.More, page.AsOf, knownAt, firstExpiration);
        if (healthy && FeedHealthy && Volatile.Read(ref lists.Epoch) == epoch && Volatile.Read(ref _listPages) < Options.MaxListPages)
        {
            if (lists.Pages.TryAdd(id, (prefix, result))) Interlocked.Increment(ref _listPages);
            else lists.Pages[id] = (prefix, result);
            // A change that landed between the epoch check and the add must not leave this page behind.
            if (Volatile.Read(ref lists.Epoch) != epoch && lists.Pages.TryRemove(id, out _)) Interlocked.Decrement(ref _listPages);
        }
        return result;
    }

    private TimeSpan? StaleListAge(CachedList page)
    {
        if (Expiration.IsExpired(page.FirstExpiration, UnixNow)) return null;
        var age = Age(page.KnownAt);
        return age <= Options.MaxStaleness ? age : null;
    }

    private void InvalidateLists(in CacheKey key)
    {
        if (!_lists.TryGetValue(key.NamespaceId, out var lists)) return;
        Interlocked.Increment(ref lists.Epoch);
        foreach (var (id, (prefix, _)) in lists.Pages)
            if (key.Key.AsSpan().StartsWith(prefix) && lists.Pages.TryRemove(id, out _)) Interlocked.Decrement(ref _listPages);
    }

    private void DropLists(string namespaceId)
    {
        if (!_lists.TryRemove(namespaceId, out var lists)) return;
        Interlocked.Increment(ref lists.Epoch);
        Interlocked.Add(ref _listPages, -lists.Pages.Count);
    }

    private void ClearLists()
    {
        foreach (var ns in _lists.Keys) DropLists(ns);
    }
}
