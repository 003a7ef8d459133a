using System.Runtime.CompilerServices;
using Kivi.Caching;
using Kivi.Core.Storage;

namespace Kivi.Server.Local;

/// <summary>
/// The local store's change log as a feed for the in-process cache: durable changes only, woken by the
/// syncer, a heartbeat when idle, and a reset when the log was trimmed past the reader.
/// </summary>
internal sealed class EngineFeed(IKvEngine store, IKvMaintenance maintenance, TimeSpan heartbeat) : IKvFeed
{
    public async IAsyncEnumerable<FeedEvent> ReadAsync(long afterVersion, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long after = afterVersion;
        if (after < 0 || after + 1 < await maintenance.OldestChangeAsync(cancellationToken))
        {
            after = store.DurableHeadVersion;
            yield return afterVersion < 0 ? FeedEvent.Heartbeat(after) : FeedEvent.ResetTo(after);
        }
        while (!cancellationToken.IsCancellationRequested)
        {
            long durable = store.DurableHeadVersion;
            while (after < durable)
            {
                var page = await store.ReadChangesAsync(after, 512, cancellationToken);
                if (page.Count == 0) break;
                foreach (var change in page)
                {
                    if (change.Version > durable) break;
                    yield return new FeedEvent(change.Kind switch
                    {
                        ChangeKind.Put => FeedEventKind.Put,
                        ChangeKind.Delete => FeedEventKind.Delete,
                        ChangeKind.Expire => FeedEventKind.Expire,
                        _ => FeedEventKind.NamespaceDropped,
                    }, change.Version, durable, change.NamespaceId, change.Key, change.Expiration, AccountId: change.AccountId);
                    after = change.Version;
                }
                if (page[^1].Version > durable) break;
            }
            after = Math.Max(after, durable);
            var more = store.WaitForDurableAsync(after, cancellationToken);
            if (await Task.WhenAny(more, Task.Delay(heartbeat, cancellationToken)) != more) yield return FeedEvent.Heartbeat(store.DurableHeadVersion);
        }
    }
}
