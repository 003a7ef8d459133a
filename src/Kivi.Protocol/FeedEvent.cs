namespace Kivi.Protocol;

/// <summary>
/// One line of the change feed (written and read by <see cref="FeedLine"/>). <see cref="Head"/> is the upstream's
/// head when the line was sent (0 when not given): a follower whose position reaches it knows it is current.
/// <see cref="Lineage"/> is carried by a feed's first line and by resets: the store and history the positions
/// that follow belong to.
/// </summary>
public sealed record FeedEvent(FeedLineType Type, ChangeKind Kind, long Version, long Head, string? NamespaceId = null, byte[]? Key = null,
    long? Expiration = null, byte[]? Value = null, string? Metadata = null, string? AccountId = null, StoreLineage? Lineage = null)
{
    /// <summary>A change of a key or namespace (<paramref name="kind"/> is never <see cref="ChangeKind.Reset"/>: see <see cref="ResetTo"/>).</summary>
    public static FeedEvent Change(ChangeKind kind, long version, long head, string namespaceId, byte[]? key = null,
        long? expiration = null, byte[]? value = null, string? metadata = null, string? accountId = null) =>
        new(FeedLineType.Change, kind, version, head, namespaceId, key, expiration, value, metadata, accountId);

    public static FeedEvent Heartbeat(long head, StoreLineage? lineage = null) => new(FeedLineType.Heartbeat, default, head, head, Lineage: lineage);

    /// <summary>The upstream no longer reaches back to where this reader stood: drop everything, resume at the head.</summary>
    public static FeedEvent ResetTo(long head, StoreLineage? lineage = null) => new(FeedLineType.Change, ChangeKind.Reset, head, head, Lineage: lineage);

    public static FeedEvent CheckpointAt(long head) => new(FeedLineType.Checkpoint, default, head, head);

    /// <summary>Whether this line is the change <paramref name="kind"/>.</summary>
    public bool Is(ChangeKind kind) => Type == FeedLineType.Change && Kind == kind;
}

/// <summary>What a feed line is: a change (<see cref="FeedEvent.Kind"/> says which), a heartbeat, or a checkpoint.</summary>
public enum FeedLineType
{
    Change,

    /// <summary>Nothing changed; the upstream's head is <see cref="FeedEvent.Head"/>.</summary>
    Heartbeat,

    /// <summary>
    /// Never on the wire: every change up to the head has reached the cache by other means (an in-process store
    /// whose every write goes through the cache before it is acknowledged).
    /// </summary>
    Checkpoint,
}
