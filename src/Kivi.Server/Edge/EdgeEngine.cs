using System.Collections.Concurrent;
using Kivi.Caching;
using Kivi.Client;
using Kivi.Core;
using Kivi.Core.Access;
using Kivi.Core.Storage;
using Kivi.Protocol;
using Kivi.Server.Rest;

namespace Kivi.Server.Edge;

/// <summary>
/// What an edge implements of the storage interface: reading (<see cref="IKvReads"/>). Entries come from the
/// <see cref="KvCache"/>, namespaces from the upstream (remembered until the feed says they were dropped).
/// Everything else is forwarded upstream as HTTP (<see cref="EdgeProxy"/>), so the origin checks the client's
/// own token; an edge has no store to write, no change log, catalog or snapshots of its own.
/// </summary>
internal sealed class EdgeEngine : IKvReads, IHotReads
{
    private static readonly TimeSpan NamespaceRemember = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan MissingRemember = TimeSpan.FromSeconds(1);

    private readonly KvCache _cache;
    private readonly EdgeUpstreamApi _api;
    private readonly TimeProvider _time;
    private readonly TimeSpan _defaultCacheTtl;
    private readonly ConcurrentDictionary<string, (KvNamespace? Ns, long At)> _namespaces = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _accounts = new(StringComparer.Ordinal);
    private readonly SingleFlight<KvNamespace?> _findingNamespaces = new();
    private readonly SingleFlight<bool> _findingAccounts = new();

    public EdgeEngine(KvCache cache, EdgeUpstreamApi api, KvLimits limits, TimeProvider time)
    {
        _cache = cache;
        _api = api;
        _time = time;
        _defaultCacheTtl = TimeSpan.FromSeconds(limits.DefaultCacheTtlSeconds);
        cache.Applied += e =>
        {
            if (e.Is(ChangeKind.NamespaceDropped)) _namespaces.TryRemove(e.NamespaceId!, out _);
            else if (e.Is(ChangeKind.Reset)) _namespaces.Clear();
        };
    }

    /// <summary>An edge's position is the last change its feed applied.</summary>
    public Kivi.Protocol.StoreLineage? Lineage => _cache.Lineage;
    public long HeadVersion => Math.Max(0, _cache.Position);
    public async ValueTask<bool> AccountExistsAsync(string accountId, CancellationToken cancellationToken)
    {
        bool known = _accounts.TryGetValue(accountId, out long at);
        if (known && _time.GetElapsedTime(at) < NamespaceRemember) return true;
        try
        {
            bool exists = await _findingAccounts.RunAsync(accountId, async () =>
            {
                if (!await Upstream(() => _api.AccountExistsAsync(accountId, CancellationToken.None))) return false;
                _accounts[accountId] = _time.GetTimestamp();
                return true;
            }, cancellationToken);
            if (!exists) return false;
        }
        catch (KvException e) when (e.Code == KvErrorCode.UpstreamUnavailable && known)
        {
            return true; // the upstream is down: an account seen before still is, for stale-if-error
        }
        return true;
    }

    public async ValueTask<KvNamespace?> GetNamespaceAsync(string accountId, string namespaceId, CancellationToken cancellationToken) =>
        await FindNamespaceAsync(namespaceId, cancellationToken) is { } ns && ns.AccountId == accountId ? ns : null;

    /// <summary>A namespace this edge looked up recently, without asking upstream.</summary>
    public KvNamespace? TryGetKnownNamespace(ReadOnlySpan<char> namespaceId) =>
        _namespaces.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(namespaceId, out var known) && known.Ns is not null && _time.GetElapsedTime(known.At) < NamespaceRemember ? known.Ns : null;

    public TimeSpan DefaultCacheTtl => _defaultCacheTtl;
    public KvCache Cache => _cache;

    /// <summary>Every caller's reads: an edge forwards only writes.</summary>
    public bool ServesFromCache(Caller caller) => true;

    public async ValueTask<KvNamespace?> FindNamespaceAsync(string namespaceId, CancellationToken cancellationToken)
    {
        if (_namespaces.TryGetValue(namespaceId, out var known) && _time.GetElapsedTime(known.At) < (known.Ns is null ? MissingRemember : NamespaceRemember))
            return known.Ns;
        try
        {
            return await _findingNamespaces.RunAsync(namespaceId, async () =>
            {
                var ns = await Upstream(() => _api.FindNamespaceAsync(namespaceId, CancellationToken.None));
                _namespaces[namespaceId] = (ns, _time.GetTimestamp());
                return ns;
            }, cancellationToken);
        }
        catch (KvException e) when (e.Code == KvErrorCode.UpstreamUnavailable && known.Ns is not null)
        {
            return known.Ns; // the upstream is down: keep serving what this namespace's cache holds
        }
    }

    public async ValueTask<KvRead<StoredValue?>> GetAsync(KvNamespace ns, byte[] key, ReadOptions options, CancellationToken cancellationToken)
    {
        if (await ReadAsync(ns, key, options, cancellationToken) is not { } read) return new(null, HeadVersion);
        return new(CacheReads.ToStoredValue(read, options.Now), read.Entry.AsOf, read.Stale);
    }

    public async ValueTask<KvRead<EntryInfo?>> GetInfoAsync(KvNamespace ns, byte[] key, ReadOptions options, CancellationToken cancellationToken)
    {
        if (await ReadAsync(ns, key, options, cancellationToken) is not { } read) return new(null, HeadVersion);
        return new(await CacheReads.ToEntryInfoAsync(read, key, options.Now), read.Entry.AsOf, read.Stale);
    }

    /// <summary>The cache's answer; null when the upstream says the namespace no longer exists (dropped since it was resolved).</summary>
    private Task<CacheRead?> ReadAsync(KvNamespace ns, byte[] key, ReadOptions options, CancellationToken cancellationToken) =>
        Upstream(ns, async () => (CacheRead?)await _cache.GetAsync(new CacheKey(ns.Id, key), options.CacheTtl ?? _defaultCacheTtl, cancellationToken), gone: null);

    public async ValueTask<KvRead<IReadOnlyList<EntryInfo>>> ListAsync(KvNamespace ns, byte[] prefix, byte[]? startAfter, int limit, ReadOptions options, CancellationToken cancellationToken)
    {
        // The service asks for one key past the page to learn whether more follow; upstream pages stop at 1,000.
        int take = Math.Min(limit, 1000);
        var page = await Upstream(ns, async () => (CachedList?)await _cache.ListAsync(ns.Id, prefix, startAfter, take, options.CacheTtl ?? _defaultCacheTtl, cancellationToken), gone: null);
        if (page is null) return new([], HeadVersion);
        var rows = CacheReads.ToRows(page, options.Now);
        // Standing for "more follow": the service cuts the page at its limit and never shows this row.
        if (page.More && rows.Count == take && take < limit) rows.Add(rows[^1]);
        return new(rows, page.AsOf);
    }

    /// <summary>
    /// A read of <paramref name="ns"/> upstream: when the upstream says the namespace no longer exists (it was dropped
    /// after this edge resolved it), the edge forgets it and the read finds nothing, as a store's would.
    /// </summary>
    private async Task<T> Upstream<T>(KvNamespace ns, Func<Task<T>> call, T gone)
    {
        try
        {
            return await call();
        }
        catch (UpstreamRefusedException e) when (e.Code == KvErrorCode.NamespaceNotFound)
        {
            _namespaces.TryRemove(ns.Id, out _);
            return gone;
        }
        catch (Exception e) when (e is UpstreamUnavailableException or UpstreamRefusedException)
        {
            throw Translate(e);
        }
    }

    /// <summary>Turns the upstream's failures into the errors a client of this edge sees.</summary>
    private static async Task<T> Upstream<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception e) when (e is UpstreamUnavailableException or UpstreamRefusedException)
        {
            throw Translate(e);
        }
    }

    private static KvException Translate(Exception e) => e is UpstreamUnavailableException
        ? new KvException(503, KvErrorCode.UpstreamUnavailable, $"This edge cannot reach its upstream and holds no copy it may serve: {e.Message}")
        : new KvException(502, KvErrorCode.UpstreamUnavailable, e.Message);
}
