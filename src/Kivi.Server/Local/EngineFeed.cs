using Kivi.Protocol;
using System.Runtime.CompilerServices;
using Kivi.Caching;
using Kivi.Core.Storage;

namespace Kivi.Server.Local;

/// <summary>
/// A single node's feed for its in-process cache. Every data change on a single node goes through
/// <see cref="CachingEngine.WriteAsync"/>, which applies it to the cache before acknowledging it, so
/// the feed need not replay the change log (that cost a tenth of the write throughput): it only says,
/// twice a second, that the cache is current up to the durable head, which keeps hot entries fresh and
/// cached misses servable. Expired rows the sweeper removes need nothing: the cache checks expiry itself.
/// </summary>
internal sealed class EngineFeed(IKvChangeLog store, TimeSpan interval) : IKvFeed
{
    public async IAsyncEnumerable<FeedEvent> ReadAsync(Kivi.Caching.FeedPosition from, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            yield return FeedEvent.CheckpointAt(store.DurableHeadVersion);
            await Task.Delay(interval, cancellationToken);
        }
    }
}
