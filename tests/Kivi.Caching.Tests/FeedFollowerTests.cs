using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Kivi.Protocol;
using Microsoft.Extensions.Time.Testing;

namespace Kivi.Caching.Tests;

/// <summary>How a follower reports an outage of its feed: once when it begins, at each reminder while it lasts, and when it ends.</summary>
public sealed class FeedFollowerTests
{
    /// <summary>Fails its first <paramref name="failures"/> connections (each with its number), then delivers one heartbeat and stays open.</summary>
    private sealed class FailingFeed(int failures) : IKvFeed
    {
        public int Connections;

        public async IAsyncEnumerable<FeedEvent> ReadAsync(FeedPosition from, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            int n = Interlocked.Increment(ref Connections);
            if (n <= failures) throw new UpstreamUnavailableException($"refused #{n}");
            yield return FeedEvent.Heartbeat(7);
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
    }

    [Fact]
    public async Task An_outage_is_reported_when_it_begins_while_it_lasts_and_when_it_ends_not_at_each_retry()
    {
        var time = new FakeTimeProvider();
        var cache = new KvCache(new ScriptedUpstream(), new KvCacheOptions(), time);
        var feed = new FailingFeed(failures: 8);
        var reports = new ConcurrentQueue<FeedOutage>();
        await using var follower = new FeedFollower(cache, feed, time, reports.Enqueue, outageReminder: TimeSpan.FromSeconds(2));
        follower.Start();

        // Retries wait on the fake clock: move it on until the feed works again (backoff 50 ms, doubling to at most 2 s).
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!reports.Any(r => r.Phase == FeedOutagePhase.Ended))
        {
            await Task.Delay(5, deadline.Token);
            time.Advance(TimeSpan.FromMilliseconds(50));
        }

        var all = reports.ToArray();
        Assert.Equal(new FeedOutage(FeedOutagePhase.Began, "refused #1", TimeSpan.Zero, 1), all[0]);
        var ended = all[^1];
        Assert.Equal((FeedOutagePhase.Ended, null, 8), (ended.Phase, ended.Reason, ended.Failures));
        Assert.True(ended.DownFor >= TimeSpan.FromMilliseconds(50 + 100 + 200 + 400 + 800 + 1600 + 2000), $"down for {ended.DownFor}");
        var reminders = all[1..^1];
        Assert.NotEmpty(reminders); // 7.15 s of retries, a reminder every 2 s
        Assert.All(reminders, r => Assert.Equal(FeedOutagePhase.Continues, r.Phase));
        Assert.True(reminders.Length < 7, $"{reminders.Length} reminders for 7 retries: one per retry"); // not one per retry
        Assert.Equal([.. reminders.Select(r => r.Failures).Order()], reminders.Select(r => r.Failures));
        Assert.All(reminders, r => Assert.Equal($"refused #{r.Failures}", r.Reason)); // the latest failure, not the first
        Assert.Equal(7, cache.Position); // the heartbeat that ended it was applied
        Assert.Equal(9, feed.Connections); // eight refused, the ninth connected
    }
}
