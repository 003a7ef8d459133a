namespace Kivi.Core.Storage;

/// <summary>
/// The narrow storage waist: store and fetch rows, assign versions in commit order, list in UTF-8 byte
/// order, read the change log. Engines never read a clock (callers pass <c>now</c>) and never validate.
/// </summary>
public interface IKvEngine : IAsyncDisposable
{
    /// <summary>Opens the store, creating or migrating its schema.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The store the data comes from and its history (see <see cref="Kivi.Protocol.StoreLineage"/>); null for
    /// a cache that has not yet heard from its upstream.
    /// </summary>
    Kivi.Protocol.StoreLineage? Lineage { get; }

    /// <summary>The version of the latest committed change.</summary>
    long HeadVersion { get; }

    /// <summary>The newest version known to be on disk: a change feed never publishes past it.</summary>
    long DurableHeadVersion { get; }

    /// <summary>Completes once the durable head passes <paramref name="version"/> (at once if it already has).</summary>
    Task WaitForDurableAsync(long version, CancellationToken cancellationToken);

    ValueTask<bool> AccountExistsAsync(string accountId, CancellationToken cancellationToken);
    ValueTask<IReadOnlyList<string>> ListAccountsAsync(CancellationToken cancellationToken);

    /// <summary>The scoped token whose value hashes to <paramref name="hash"/> (SHA-256), if any.</summary>
    ValueTask<Access.KvToken?> FindTokenAsync(byte[] hash, CancellationToken cancellationToken);

    ValueTask<IReadOnlyList<Access.KvToken>> ListTokensAsync(string accountId, CancellationToken cancellationToken);

    ValueTask<KvNamespace?> GetNamespaceAsync(string accountId, string namespaceId, CancellationToken cancellationToken);
    /// <summary>Finds a namespace by its id alone (the binding protocol names only the namespace).</summary>
    ValueTask<KvNamespace?> FindNamespaceAsync(string namespaceId, CancellationToken cancellationToken);

    ValueTask<NamespacePage> ListNamespacesAsync(string accountId, NamespaceOrder order, bool descending, int skip, int take, CancellationToken cancellationToken);

    /// <summary>Reads an entry unless it is missing or expired at <paramref name="now"/>.</summary>
    ValueTask<StoredValue?> GetAsync(KvNamespace ns, byte[] key, long now, CancellationToken cancellationToken);

    /// <summary>Reads an entry's metadata, expiration and version, without its value.</summary>
    ValueTask<EntryInfo?> GetInfoAsync(KvNamespace ns, byte[] key, long now, CancellationToken cancellationToken);

    /// <summary>Lists live entries whose key starts with <paramref name="prefix"/>, after <paramref name="startAfter"/>, in byte order.</summary>
    ValueTask<IReadOnlyList<EntryInfo>> ListAsync(KvNamespace ns, byte[] prefix, byte[]? startAfter, int limit, long now, CancellationToken cancellationToken);

    /// <summary>Opens a consistent read-only view of the whole store, for export and backup while it keeps serving.</summary>
    ValueTask<IKvSnapshot> OpenSnapshotAsync(CancellationToken cancellationToken);

    /// <summary>Commits a change durably (fsync) before completing; not cancellable once submitted.</summary>
    Task<WriteResult> WriteAsync(WriteCommand command);

    /// <summary>Reads the change log after <paramref name="afterVersion"/>, oldest first.</summary>
    ValueTask<IReadOnlyList<ChangeRecord>> ReadChangesAsync(long afterVersion, int limit, CancellationToken cancellationToken);
}
