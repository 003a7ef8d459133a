using Kivi.Protocol;
namespace Kivi.Caching;

/// <summary>A change feed to follow: events after a version, in version order, until the connection ends.</summary>
public interface IKvFeed
{
    /// <param name="lineage">The store and history <paramref name="afterVersion"/> belongs to, when known: an upstream that
    /// cannot continue it (another store, or a history that lost that position) answers with a reset.</param>
    IAsyncEnumerable<FeedEvent> ReadAsync(long afterVersion, Kivi.Protocol.StoreLineage? lineage, CancellationToken cancellationToken);
}
