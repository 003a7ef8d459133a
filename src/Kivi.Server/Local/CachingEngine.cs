using Kivi.Caching;
using Kivi.Core.Access;
using Kivi.Core.Storage;
using Kivi.Server.Rest;

namespace Kivi.Server.Local;

/// <summary>
/// A single node's store with the edge cache in front of it, in process: reads come from memory while
/// the in-process feed keeps them current, writes go to the store and are installed in the cache once
/// acknowledged, before the writer hears back. Edges reading this node bypass it (they have their own).
/// </summary>
internal sealed class CachingEngine(IKvEngine store, KvCache cache, Kivi.Protocol.KvLimits limits) : IKvEngine, IHotReads
{
    private readonly TimeSpan _defaultCacheTtl = TimeSpan.FromSeconds(limits.DefaultCacheTtlSeconds);

    public KvCache Cache => cache;
    public TimeSpan DefaultCacheTtl => _defaultCacheTtl;

    /// <summary>Edges (replication tokens) read the store itself; see <see cref="ReadScope.FromEdge"/>.</summary>
    public bool ServesFromCache(Caller caller) => caller.Permission != TokenPermission.Replication;

    public KvNamespace? TryGetKnownNamespace(ReadOnlySpan<char> namespaceId)
    {
        var found = store.FindNamespaceAsync(namespaceId.ToString(), CancellationToken.None);
        return found.IsCompletedSuccessfully ? found.Result : null;
    }

    public IKvEngine Store => store;

    public Task InitializeAsync(CancellationToken cancellationToken) => store.InitializeAsync(cancellationToken);
    public Kivi.Protocol.StoreLineage? Lineage => store.Lineage;
    public long HeadVersion => store.HeadVersion;
    public long DurableHeadVersion => store.DurableHeadVersion;
    public Task WaitForDurableAsync(long version, CancellationToken cancellationToken) => store.WaitForDurableAsync(version, cancellationToken);
    public ValueTask<bool> AccountExistsAsync(string accountId, CancellationToken cancellationToken) => store.AccountExistsAsync(accountId, cancellationToken);
    public ValueTask<IReadOnlyList<string>> ListAccountsAsync(CancellationToken cancellationToken) => store.ListAccountsAsync(cancellationToken);
    public ValueTask<KvToken?> FindTokenAsync(byte[] hash, CancellationToken cancellationToken) => store.FindTokenAsync(hash, cancellationToken);
    public ValueTask<IReadOnlyList<KvToken>> ListTokensAsync(string accountId, CancellationToken cancellationToken) => store.ListTokensAsync(accountId, cancellationToken);
    public ValueTask<KvNamespace?> GetNamespaceAsync(string accountId, string namespaceId, CancellationToken cancellationToken) => store.GetNamespaceAsync(accountId, namespaceId, cancellationToken);
    public ValueTask<KvNamespace?> FindNamespaceAsync(string namespaceId, CancellationToken cancellationToken) => store.FindNamespaceAsync(namespaceId, cancellationToken);
    public ValueTask<NamespacePage> ListNamespacesAsync(string accountId, NamespaceOrder order, bool descending, int skip, int take, CancellationToken cancellationToken) =>
        store.ListNamespacesAsync(accountId, order, descending, skip, take, cancellationToken);
    public ValueTask<IReadOnlyList<ChangeRecord>> ReadChangesAsync(long afterVersion, int limit, CancellationToken cancellationToken) => store.ReadChangesAsync(afterVersion, limit, cancellationToken);
    public ValueTask<IKvSnapshot> OpenSnapshotAsync(CancellationToken cancellationToken) => store.OpenSnapshotAsync(cancellationToken);

    public async ValueTask<StoredValue?> GetAsync(KvNamespace ns, byte[] key, long now, CancellationToken cancellationToken)
    {
        if (ReadScope.Current is { FromEdge: true } or { Strong: true }) return await store.GetAsync(ns, key, now, cancellationToken);
        return CacheReads.ToStoredValue(await ReadAsync(ns, key, cancellationToken), now);
    }

    public async ValueTask<EntryInfo?> GetInfoAsync(KvNamespace ns, byte[] key, long now, CancellationToken cancellationToken)
    {
        if (ReadScope.Current is { FromEdge: true } or { Strong: true }) return await store.GetInfoAsync(ns, key, now, cancellationToken);
        return await CacheReads.ToEntryInfoAsync(await ReadAsync(ns, key, cancellationToken), key, now);
    }

    private async ValueTask<CacheRead> ReadAsync(KvNamespace ns, byte[] key, CancellationToken cancellationToken)
    {
        var scope = ReadScope.Current;
        var read = await cache.GetAsync(new CacheKey(ns.Id, key), scope?.CacheTtl ?? _defaultCacheTtl, cancellationToken);
        scope?.Observe(read.Entry.AsOf, read.Stale);
        return read;
    }

    public async ValueTask<IReadOnlyList<EntryInfo>> ListAsync(KvNamespace ns, byte[] prefix, byte[]? startAfter, int limit, long now, CancellationToken cancellationToken)
    {
        var scope = ReadScope.Current;
        if (scope is { FromEdge: true } or { Strong: true }) return await store.ListAsync(ns, prefix, startAfter, limit, now, cancellationToken);
        var page = await cache.ListAsync(ns.Id, prefix, startAfter, limit, scope?.CacheTtl ?? _defaultCacheTtl, cancellationToken);
        scope?.Observe(page.AsOf, null);
        return CacheReads.ToRows(page, now);
    }

    /// <summary>Writes to the store; once acknowledged, what it wrote is what this node's readers see.</summary>
    public async Task<WriteResult> WriteAsync(WriteCommand command)
    {
        var result = await store.WriteAsync(command);
        if (result.Status != WriteStatus.Ok) return result;
        switch (command)
        {
            case PutEntries put:
                long version = result.Version - put.Entries.Count; // the store gives a batch consecutive versions
                foreach (var entry in put.Entries)
                {
                    version++;
                    var key = new CacheKey(put.Namespace.Id, entry.Key);
                    if (entry.Value.Length <= cache.Options.MaxEntryBytes)
                        cache.ObserveWrite(key, version, cache.WrittenEntry(entry.Value.ToArray(), entry.Metadata, entry.Expiration, version));
                    else
                        cache.ObserveWrite(key, version, null);
                }
                break;
            case DeleteEntries delete:
                foreach (var key in delete.Keys) cache.ObserveWrite(new CacheKey(delete.Namespace.Id, key), result.Version, cache.WrittenEntry(null, null, null, result.Version));
                break;
            case DeleteNamespace drop:
                cache.ObserveNamespaceDropped(drop.NamespaceId);
                break;
        }
        return result;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask; // the store is the container's to dispose
}
