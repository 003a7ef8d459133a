using Kivi.Protocol;
namespace Kivi.Caching;

/// <summary>A change feed to follow: events after a version, in version order, until the connection ends.</summary>
public interface IKvFeed
{
    /// <param name="from">Where the follower stands: an upstream that cannot continue it (another store, or a history
    /// that lost that position or what the follower holds) answers with a reset.</param>
    IAsyncEnumerable<FeedEvent> ReadAsync(FeedPosition from, CancellationToken cancellationToken);
}

/// <summary>
/// Where a follower stands: the last version its feed applied (negative: none yet, start at the head), the store
/// and history that position belongs to, and the newest answer it holds from outside the feed when that is past
/// the position (a read filled, or a write acknowledged, while the feed lagged or was down).
/// </summary>
public readonly record struct FeedPosition(long After, StoreLineage? Lineage = null, EpochPosition? Held = null)
{
    /// <summary>The position as the feed's query parameters: <c>after</c>, <c>store</c> and <c>epoch</c>, <c>held</c> and <c>held_epoch</c>.</summary>
    public string Query()
    {
        if (After < 0) return "";
        var q = new System.Text.StringBuilder(FormattableString.Invariant($"&after={After}"));
        if (Lineage is not null)
        {
            q.Append(FormattableString.Invariant($"&store={Uri.EscapeDataString(Lineage.StoreId)}&epoch={Lineage.CurrentEpoch}"));
            if (Held is { } h) q.Append(FormattableString.Invariant($"&held={h.Version}&held_epoch={h.Epoch}"));
        }
        return q.ToString();
    }
}
