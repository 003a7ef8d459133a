namespace Kivi.Core.Storage;

/// <summary>
/// A read-only view of the whole store as of one version, for export and backup: nothing committed after
/// it was opened is visible through it. Held open, it may keep the engine from reclaiming space; dispose
/// it promptly. One reader at a time.
/// </summary>
public interface IKvSnapshot : IAsyncDisposable
{
    /// <summary>The version of the newest change the snapshot contains.</summary>
    long Version { get; }

    /// <summary>Every account, by id.</summary>
    ValueTask<IReadOnlyList<StoredAccount>> ListAccountsAsync(CancellationToken cancellationToken);

    /// <summary>Every namespace of an account, by id.</summary>
    ValueTask<IReadOnlyList<KvNamespace>> ListNamespacesAsync(string accountId, CancellationToken cancellationToken);

    /// <summary>The namespace's live entries, values included, in key byte order, after <paramref name="startAfter"/>.</summary>
    IAsyncEnumerable<StoredEntry> ReadEntriesAsync(KvNamespace ns, byte[]? startAfter, long now, CancellationToken cancellationToken);
}

/// <summary>An account as stored.</summary>
public sealed record StoredAccount(string Id, string Name);

/// <summary>An entry with its whole value, as a snapshot reads it.</summary>
public sealed record StoredEntry(byte[] Key, byte[] Value, string? Metadata, long? Expiration, long Version);
