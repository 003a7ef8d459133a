namespace Kivi.Caching;

/// <summary>A change feed to follow: events after a version, in version order, until the connection ends.</summary>
public interface IKvFeed
{
    IAsyncEnumerable<FeedEvent> ReadAsync(long afterVersion, CancellationToken cancellationToken);
}
