namespace Kivi.Caching;

/// <summary>
/// One line of the change feed. <see cref="Head"/> is the upstream's head when the line was sent (0 when
/// not given): a follower whose position reaches it knows it is current. <see cref="Lineage"/> is carried by a
/// feed's first line and by resets: the store and history the positions that follow belong to.
/// </summary>
public sealed record FeedEvent(FeedEventKind Kind, long Version, long Head, string? NamespaceId = null, byte[]? Key = null,
    long? Expiration = null, byte[]? Value = null, string? Metadata = null, string? AccountId = null, Kivi.Protocol.StoreLineage? Lineage = null)
{
    public static FeedEvent Heartbeat(long head, Kivi.Protocol.StoreLineage? lineage = null) => new(FeedEventKind.Heartbeat, head, head, Lineage: lineage);
    public static FeedEvent ResetTo(long head, Kivi.Protocol.StoreLineage? lineage = null) => new(FeedEventKind.Reset, head, head, Lineage: lineage);
    public static FeedEvent CheckpointAt(long head) => new(FeedEventKind.Checkpoint, head, head);
}

public enum FeedEventKind
{
    Heartbeat,
    Put,
    Delete,
    Expire,
    NamespaceDropped,
    /// <summary>The upstream no longer reaches back to where this reader stood: drop everything, resume at the head.</summary>
    Reset,
    /// <summary>
    /// Every change up to the head has reached the cache by other means: an in-process store whose every
    /// write goes through the cache before it is acknowledged.
    /// </summary>
    Checkpoint,
}
