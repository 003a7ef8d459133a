namespace Kivi.Client;

/// <summary>What happened to a key, as a watch reports it.</summary>
public enum KvChangeKind
{
    Put,
    Delete,
    Expire,

    /// <summary>The namespace was deleted; the watch ends after it.</summary>
    NamespaceDropped,

    /// <summary>Changes were missed (the server's log no longer reached back): re-read what matters.</summary>
    Reset,
}

/// <summary>
/// One change seen by a watch. <see cref="Value"/> and <see cref="MetadataJson"/> come with puts of small
/// values that were still current when sent; otherwise read the key for them.
/// </summary>
public sealed record KvChange(KvChangeKind Kind, string? Key, long Version, long? Expiration = null, ReadOnlyMemory<byte>? Value = null, string? MetadataJson = null);
