using Kivi.Protocol;
using System.Text;
using Microsoft.Extensions.Time.Testing;

namespace Kivi.Caching.Tests;

/// <summary>What an edge's relay can hand a tier or a watcher: only lines it kept, never a gap.</summary>
public sealed class FeedRelayTests
{
    private readonly KvCache _cache = new(new ScriptedUpstream(), new KvCacheOptions { RelayEvents = 4 }, new FakeTimeProvider());
    private readonly FeedRelay _relay;

    public FeedRelayTests() => _relay = new FeedRelay(_cache);

    private void Change(long version) => _cache.Apply(FeedEvent.Change(ChangeKind.Put, version, version, "ns", Encoding.UTF8.GetBytes($"k{version}")));

    private IReadOnlyList<long> After(long version)
    {
        int resets = _relay.ResetCount;
        var (lines, _) = _relay.ReadAfter(version, ref resets);
        return lines.Select(l => l.Is(ChangeKind.Reset) ? -l.Head : l.Version).ToList();
    }

    [Fact]
    public void A_reader_from_before_the_relay_started_is_not_served_from_it()
    {
        Assert.False(_relay.Keeps(0)); // nothing came yet
        _cache.Apply(FeedEvent.Heartbeat(100)); // a fresh follower starts at its upstream's head
        Change(101);
        Change(102);
        Assert.False(_relay.Keeps(50)); // 51…100 were never seen here
        Assert.Equal([-102], After(50)); // a tier is told to reset
        Assert.True(_relay.Keeps(100));
        Assert.Equal([101, 102], After(100));
        Assert.Equal([102], After(101));
        Assert.Empty(After(102));
    }

    [Fact]
    public void A_reader_behind_the_kept_window_is_not_served_from_it()
    {
        _cache.Apply(FeedEvent.Heartbeat(0));
        for (long v = 1; v <= 6; v++) Change(v); // four are kept: 3…6
        Assert.False(_relay.Keeps(1));
        Assert.True(_relay.Keeps(2));
        Assert.Equal([3, 4, 5, 6], After(2));
        Assert.Equal([5, 6], After(4));
    }

    [Fact]
    public void After_a_reset_to_the_head_the_relay_keeps_from_where_the_cache_starts_again()
    {
        _cache.Apply(FeedEvent.Heartbeat(10));
        Change(11);
        _cache.Apply(FeedEvent.ResetTo(-1)); // an answer came from another store: the cache starts at the next head it is told
        _cache.Apply(FeedEvent.Heartbeat(500));
        Change(501);
        Assert.False(_relay.Keeps(11));
        Assert.True(_relay.Keeps(500));
        Assert.Equal([501], After(500));
    }
}
