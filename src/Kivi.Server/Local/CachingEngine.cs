using Kivi.Caching;
using Kivi.Core.Access;
using Kivi.Core.Storage;
using Kivi.Server.Rest;

namespace Kivi.Server.Local;

/// <summary>
/// A single node's store with the edge cache in front of it, in process: reads come from memory while
/// the in-process feed keeps them current, writes go to the store and are installed in the cache once
/// acknowledged, before the writer hears back. Edges reading this node, and strong reads, go to the store
/// (<see cref="ReadOptions.MayUseCache"/>). Everything else a store does, the store does itself.
/// </summary>
internal sealed class CachingEngine(IKvEngine store, KvCache cache, Kivi.Protocol.KvLimits limits) : IKvReads, IKvWrites, IHotReads
{
    private readonly TimeSpan _defaultCacheTtl = TimeSpan.FromSeconds(limits.DefaultCacheTtlSeconds);

    public KvCache Cache => cache;
    public TimeSpan DefaultCacheTtl => _defaultCacheTtl;

    /// <summary>Edges (replication tokens) read the store itself; see <see cref="ReadOptions.FromEdge"/>.</summary>
    public bool ServesFromCache(Caller caller) => caller.Permission != TokenPermission.Replication;

    public KvNamespace? TryGetKnownNamespace(ReadOnlySpan<char> namespaceId)
    {
        var found = store.FindNamespaceAsync(namespaceId.ToString(), CancellationToken.None);
        return found.IsCompletedSuccessfully ? found.Result : null;
    }

    public Kivi.Protocol.StoreLineage? Lineage => store.Lineage;
    public long HeadVersion => store.HeadVersion;
    public ValueTask<bool> AccountExistsAsync(string accountId, CancellationToken cancellationToken) => store.AccountExistsAsync(accountId, cancellationToken);
    public ValueTask<KvNamespace?> GetNamespaceAsync(string accountId, string namespaceId, CancellationToken cancellationToken) => store.GetNamespaceAsync(accountId, namespaceId, cancellationToken);
    public ValueTask<KvNamespace?> FindNamespaceAsync(string namespaceId, CancellationToken cancellationToken) => store.FindNamespaceAsync(namespaceId, cancellationToken);

    public async ValueTask<KvRead<StoredValue?>> GetAsync(KvNamespace ns, byte[] key, ReadOptions options, CancellationToken cancellationToken)
    {
        if (!options.MayUseCache) return await store.GetAsync(ns, key, options, cancellationToken);
        var read = await cache.GetAsync(new CacheKey(ns.Id, key), options.CacheTtl ?? _defaultCacheTtl, cancellationToken);
        return new(CacheReads.ToStoredValue(read, options.Now), read.Entry.AsOf, read.Stale);
    }

    public async ValueTask<KvRead<EntryInfo?>> GetInfoAsync(KvNamespace ns, byte[] key, ReadOptions options, CancellationToken cancellationToken)
    {
        if (!options.MayUseCache) return await store.GetInfoAsync(ns, key, options, cancellationToken);
        var read = await cache.GetAsync(new CacheKey(ns.Id, key), options.CacheTtl ?? _defaultCacheTtl, cancellationToken);
        return new(await CacheReads.ToEntryInfoAsync(read, key, options.Now), read.Entry.AsOf, read.Stale);
    }

    public async ValueTask<KvRead<IReadOnlyList<EntryInfo>>> ListAsync(KvNamespace ns, byte[] prefix, byte[]? startAfter, int limit, ReadOptions options, CancellationToken cancellationToken)
    {
        if (!options.MayUseCache) return await store.ListAsync(ns, prefix, startAfter, limit, options, cancellationToken);
        var page = await cache.ListAsync(ns.Id, prefix, startAfter, limit, options.CacheTtl ?? _defaultCacheTtl, cancellationToken);
        return new(CacheReads.ToRows(page, options.Now), page.AsOf);
    }

    /// <summary>The largest batch whose values are installed in the cache; the entries of a larger one are dropped from it.</summary>
    internal const int InstallBatchesUpTo = 100;

    /// <summary>
    /// Writes to the store; once acknowledged, what it wrote is what this node's readers see. Each entry of a small batch
    /// is installed at its own version, by the rule <see cref="IKvWrites"/> states (consecutive, in the order given); a
    /// large one (an import) only drops what the cache held of its keys, since installing a million values would churn
    /// the cache (and the collector) to serve reads nobody has asked for.
    /// </summary>

    public async Task<WriteResult> WriteAsync(WriteCommand command)
    {
        var result = await store.WriteAsync(command);
        if (result.Status != WriteStatus.Ok) return result;
        switch (command)
        {
            case PutEntries put:
                long version = result.Version - put.Entries.Count;
                foreach (var entry in put.Entries)
                {
                    version++;
                    var key = new CacheKey(put.Namespace.Id, entry.Key);
                    if (put.Entries.Count <= InstallBatchesUpTo && entry.Value.Length <= cache.Options.MaxEntryBytes)
                        cache.ObserveWrite(key, version, cache.WrittenEntry(entry.Value.ToArray(), entry.Metadata, entry.Expiration, version));
                    else
                        cache.ObserveWrite(key, version, null);
                }
                break;
            case DeleteEntries delete:
                // A missing key got no version of its own, so which one each deleted key got is not known here:
                // the batch's last version is at least each one's, and marks every key as absent from then on.
                foreach (var key in delete.Keys) cache.ObserveWrite(new CacheKey(delete.Namespace.Id, key), result.Version, cache.WrittenEntry(null, null, null, result.Version));
                break;
            case DeleteNamespace drop:
                cache.ObserveNamespaceDropped(drop.NamespaceId);
                break;
        }
        return result;
    }
}
