using Kivi.Protocol;

namespace Kivi.Core.Storage;

/// <summary>
/// Reading: entries, namespaces and accounts. Every engine implements it: a store reads its rows, a single
/// node's cache and an edge read through <c>Kivi.Caching</c>. What a read needs comes in as <see cref="ReadOptions"/>;
/// what it reflects (the position, whether it was served stale) comes back in the <see cref="KvRead{T}"/>.
/// Engines never read a clock (<see cref="ReadOptions.Now"/>) and never validate.
/// </summary>
public interface IKvReads
{
    /// <summary>
    /// The store the data comes from and its history (see <see cref="StoreLineage"/>); null for a cache that has
    /// not yet heard from its upstream.
    /// </summary>
    StoreLineage? Lineage { get; }

    /// <summary>The version of the latest committed change this reader has (an edge: the last its feed applied).</summary>
    long HeadVersion { get; }

    ValueTask<bool> AccountExistsAsync(string accountId, CancellationToken cancellationToken);

    ValueTask<KvNamespace?> GetNamespaceAsync(string accountId, string namespaceId, CancellationToken cancellationToken);

    /// <summary>Finds a namespace by its id alone (the binding protocol names only the namespace).</summary>
    ValueTask<KvNamespace?> FindNamespaceAsync(string namespaceId, CancellationToken cancellationToken);

    /// <summary>Reads an entry unless it is missing or expired at <see cref="ReadOptions.Now"/>.</summary>
    ValueTask<KvRead<StoredValue?>> GetAsync(KvNamespace ns, byte[] key, ReadOptions options, CancellationToken cancellationToken);

    /// <summary>Reads an entry's metadata, expiration and version, without its value.</summary>
    ValueTask<KvRead<EntryInfo?>> GetInfoAsync(KvNamespace ns, byte[] key, ReadOptions options, CancellationToken cancellationToken);

    /// <summary>
    /// Lists live entries whose key starts with <paramref name="prefix"/>, after <paramref name="startAfter"/>, in
    /// UTF-8 byte order, up to <paramref name="limit"/>. Fewer than <paramref name="limit"/> rows means none follow.
    /// </summary>
    ValueTask<KvRead<IReadOnlyList<EntryInfo>>> ListAsync(KvNamespace ns, byte[] prefix, byte[]? startAfter, int limit, ReadOptions options, CancellationToken cancellationToken);
}
