using Kivi.Protocol;
using System.Text;
using Microsoft.Extensions.Time.Testing;

namespace Kivi.Caching.Tests;

public sealed class KvCacheTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(60);
    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
    private readonly ScriptedUpstream _upstream = new();
    private readonly KvCache _cache;

    public KvCacheTests() => _cache = new KvCache(_upstream, new KvCacheOptions { CapacityBytes = 4 * 1024 * 1024, MaxEntryBytes = 64 * 1024, MaxStaleness = TimeSpan.FromMinutes(10) }, _time);

    private static CacheKey Key(string key) => new("ns", Encoding.UTF8.GetBytes(key));
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<string?> Read(string key, TimeSpan? ttl = null)
    {
        var read = await _cache.GetAsync(Key(key), ttl ?? Ttl, Ct);
        return read.Entry.IsPresent ? Encoding.UTF8.GetString(read.Entry.Value!) : null;
    }

    private void Feed(ChangeKind kind, string key, long version, string? value = null) =>
        _cache.Apply(FeedEvent.Change(kind, version, version, "ns", Encoding.UTF8.GetBytes(key), null, value is null ? null : Encoding.UTF8.GetBytes(value)));

    [Fact]
    public async Task Many_readers_of_a_missing_key_cause_one_upstream_read()
    {
        _upstream.Put("k", "v");
        _upstream.Gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        var readers = Enumerable.Range(0, 50).Select(_ => Read("k")).ToArray();
        _upstream.Gate.SetResult();
        Assert.All(await Task.WhenAll(readers), v => Assert.Equal("v", v));
        Assert.Equal(1, _upstream.Reads);
    }

    [Fact]
    public async Task Without_a_feed_an_entry_is_served_until_its_cacheTtl_then_refetched()
    {
        _upstream.Put("k", "one");
        Assert.Equal("one", await Read("k"));
        _upstream.Put("k", "two");
        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal("one", await Read("k"));
        Assert.Equal("two", await Read("k", TimeSpan.FromSeconds(29))); // a shorter cacheTtl asks for fresher data
        _upstream.Put("k", "three");
        _time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal("three", await Read("k"));
    }

    [Fact]
    public async Task A_healthy_feed_keeps_entries_current_past_their_cacheTtl_and_refreshes_them_in_place()
    {
        _cache.Apply(FeedEvent.Heartbeat(0));
        _upstream.Put("k", "one");
        Assert.Equal("one", await Read("k"));
        for (int i = 0; i < 10; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            _cache.Apply(FeedEvent.Heartbeat(_upstream.Head)); // caught up: everything held is current now
        }
        _time.Advance(TimeSpan.FromSeconds(55)); // 65 s since the fetch, 55 s since the feed last caught up
        long v2 = _upstream.Put("k", "two");
        Feed(ChangeKind.Put, "k", v2, "two");
        int reads = _upstream.Reads;
        Assert.Equal("two", await Read("k"));
        Assert.Equal(reads, _upstream.Reads);
    }

    [Fact]
    public async Task Misses_are_cached_only_while_the_feed_is_healthy()
    {
        Assert.Null(await Read("new"));
        Assert.Null(await Read("new"));
        Assert.Equal(2, _upstream.Reads); // no feed: every miss asks upstream
        _cache.Apply(FeedEvent.Heartbeat(_upstream.Head));
        Assert.Null(await Read("new"));
        Assert.Null(await Read("new"));
        Assert.Equal(3, _upstream.Reads);
        _time.Advance(TimeSpan.FromSeconds(4)); // past the health timeout: the cached miss could hide a new key
        _upstream.Put("new", "here");
        Assert.Equal("here", await Read("new"));
    }

    [Fact]
    public async Task A_put_on_the_feed_reveals_a_key_that_was_cached_as_missing()
    {
        _cache.Apply(FeedEvent.Heartbeat(0));
        Assert.Null(await Read("k"));
        long v = _upstream.Put("k", "v");
        Feed(ChangeKind.Put, "k", v, "v");
        Assert.Equal("v", await Read("k"));
    }

    [Fact]
    public async Task A_read_answered_before_a_change_it_raced_with_is_retried_not_installed()
    {
        _upstream.Put("k", "old");
        _upstream.Gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        var slow = Read("k"); // the upstream has answered "old" but the answer is still on its way
        long v = _upstream.Put("k", "new");
        Feed(ChangeKind.Put, "k", v, "new");
        _upstream.Gate.SetResult();
        Assert.Equal("new", await slow);
        Assert.Equal("new", await Read("k"));
        Assert.Equal(v, _cache.Peek(Key("k"))!.Version);
    }

    [Fact]
    public async Task Versions_never_go_back_when_an_older_answer_arrives_after_a_newer_one()
    {
        _upstream.Put("k", "one");
        Assert.Equal("one", await Read("k"));
        long v = _upstream.Put("k", "two");
        Feed(ChangeKind.Put, "k", v, "two");
        _cache.ObserveWrite(Key("k"), v - 1, _cache.WrittenEntry(Encoding.UTF8.GetBytes("one"), null, null, v - 1));
        Assert.Equal("two", await Read("k"));
    }

    [Fact]
    public async Task An_expired_entry_is_never_served_from_the_second_it_expires()
    {
        long expires = _time.GetUtcNow().ToUnixTimeSeconds() + 90;
        _upstream.Put("k", "v", expires);
        Assert.Equal("v", await Read("k", TimeSpan.FromDays(1)));
        _time.Advance(TimeSpan.FromSeconds(89));
        Assert.Equal("v", await Read("k", TimeSpan.FromDays(1)));
        _time.Advance(TimeSpan.FromSeconds(1));
        _upstream.Down = true; // not even stale-if-error may serve it
        await Assert.ThrowsAsync<UpstreamUnavailableException>(() => Read("k", TimeSpan.FromDays(1)));
    }

    [Fact]
    public async Task When_the_upstream_fails_a_held_entry_is_served_marked_stale_up_to_the_maximum()
    {
        _upstream.Put("k", "v");
        await Read("k");
        _time.Advance(TimeSpan.FromSeconds(120));
        _upstream.Down = true;
        var read = await _cache.GetAsync(Key("k"), Ttl, Ct);
        Assert.Equal(TimeSpan.FromSeconds(120), read.Stale);
        _time.Advance(TimeSpan.FromMinutes(9));
        await Assert.ThrowsAsync<UpstreamUnavailableException>(() => _cache.GetAsync(Key("k"), Ttl, Ct).AsTask());
    }

    [Fact]
    public async Task A_reset_drops_everything_held()
    {
        _upstream.Put("k", "one");
        await Read("k");
        _upstream.Put("k", "two");
        _cache.Apply(FeedEvent.ResetTo(_upstream.Head));
        Assert.Equal(0, _cache.Count);
        Assert.Equal("two", await Read("k"));
    }

    [Fact]
    public async Task A_list_page_is_dropped_by_a_change_under_its_prefix_only()
    {
        _cache.Apply(FeedEvent.Heartbeat(0));
        _upstream.Put("a/1", "v");
        _upstream.Put("b/1", "v");
        async Task<int> List(string prefix) => (await _cache.ListAsync("ns", Encoding.UTF8.GetBytes(prefix), null, 100, Ttl, Ct)).Keys.Count;
        Assert.Equal(1, await List("a/"));
        int reads = _upstream.Reads;
        Feed(ChangeKind.Put, "b/2", _upstream.Put("b/2", "v"));
        Assert.Equal(1, await List("a/"));
        Assert.Equal(reads, _upstream.Reads);
        Feed(ChangeKind.Put, "a/2", _upstream.Put("a/2", "v"));
        Assert.Equal(2, await List("a/"));
    }

    [Fact]
    public async Task The_cache_holds_no_more_bytes_than_its_capacity()
    {
        for (int i = 0; i < 2000; i++) _upstream.Put($"k{i}", new string('x', 4096));
        for (int i = 0; i < 2000; i++) await Read($"k{i}");
        Assert.InRange(_cache.Bytes, 1, 4 * 1024 * 1024);
        Assert.True(_cache.Evictions > 0);
    }

    /// <summary>
    /// A cache that read before its feed ever connected had no position to resume with, so its upstream could not
    /// check what it holds: the first lineage it is told must pass through its answers, or it drops them.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Answers_read_before_the_first_feed_line_are_dropped_if_the_store_lost_their_history(bool lost)
    {
        _upstream.Put("k", "from epoch 22"); // version 1
        _upstream.AnswersFrom = ("store", 22);
        Assert.Equal("from epoch 22", await Read("k"));

        // The store was restored from a copy taken at version 0: its history goes 11 → 33 from there, and 22 is gone.
        var lineage = new StoreLineage("store", lost ? [new(11, 0), new(33, 0)] : [new(11, 0), new(22, 0)]);
        _upstream.AnswersFrom = null;
        _upstream.Put("k", "restored"); // what a read from the store now answers
        _cache.Apply(FeedEvent.Heartbeat(5, lineage));

        Assert.Equal(lost ? 1 : 0, _cache.Resets);
        Assert.Equal(lost ? "restored" : "from epoch 22", await Read("k"));
        Assert.Equal(5, _cache.Position);
        Assert.Equal(lineage, _cache.Lineage);
    }

    [Fact]
    public void A_cache_following_a_store_with_no_changes_yet_is_current()
    {
        Assert.False(_cache.IsCurrent);
        _cache.Apply(FeedEvent.Heartbeat(0)); // the head of an empty store
        Assert.True(_cache.IsCurrent); // so an edge relays heartbeats to the tiers below it, and is ready
        Assert.Equal(0, _cache.Position);

        // A relayed change that claims no head (its edge is not current) does not make the cache current.
        var fresh = new KvCache(new ScriptedUpstream(), new KvCacheOptions(), _time);
        fresh.Apply(FeedEvent.Change(ChangeKind.Put, 3, 0, "ns", Encoding.UTF8.GetBytes("k")));
        Assert.False(fresh.IsCurrent);
    }

    /// <summary>
    /// With its feed down across a restart and then a restore, a cache reads from the history the restore loses and then
    /// from the restored one. The upstream checks only the newest answer (restored, fine); the older ones must go too.
    /// </summary>
    [Fact]
    public async Task An_answer_from_a_lost_epoch_is_dropped_even_when_a_newer_answer_comes_from_the_restored_history()
    {
        _cache.Apply(FeedEvent.Heartbeat(1, new StoreLineage("store", [new(11, 0)])));
        _upstream.Put("lost", "read in epoch 22"); // version 1
        _upstream.Put("kept", "v"); // version 2
        _cache.FeedDisconnected();
        _upstream.AnswersFrom = ("store", 22); // restarted: epoch 22 from version 1
        Assert.Equal("read in epoch 22", await Read("lost"));
        _upstream.AnswersFrom = ("store", 33); // restored from a copy at version 1: epoch 33 from there, 22 is gone
        Assert.Equal("v", await Read("kept"));

        _cache.Apply(FeedEvent.Heartbeat(2, new StoreLineage("store", [new(11, 0), new(33, 1)])));
        Assert.Equal(1, _cache.Resets);
        Assert.Null(_cache.Peek(Key("lost")));
    }

    [Fact]
    public async Task Answers_from_a_history_the_store_still_has_are_kept_and_stop_being_tracked_once_the_feed_covers_them()
    {
        _cache.Apply(FeedEvent.Heartbeat(0, new StoreLineage("store", [new(11, 0)])));
        _upstream.Put("k", "v"); // version 1
        _upstream.AnswersFrom = ("store", 11);
        Assert.Equal("v", await Read("k"));
        _upstream.AnswersFrom = ("store", 22); // a plain restart at version 1: epoch 22 continues 11
        _upstream.Put("j", "w"); // version 2
        Assert.Equal("w", await Read("j"));

        _cache.Apply(FeedEvent.Heartbeat(2, new StoreLineage("store", [new(11, 0), new(22, 1)])));
        Feed(ChangeKind.Put, "other", 2, "x");
        _cache.Apply(FeedEvent.Heartbeat(2, new StoreLineage("store", [new(11, 0), new(22, 1)])));
        Assert.Equal(0, _cache.Resets);
        Assert.Equal(("v", "w"), (await Read("k"), await Read("j")));

        // Covered by the feed, those answers are no longer checked: a history that later drops epoch 11 from its
        // newest 32 (or that was restored past them) does not reset the cache for them.
        _cache.Apply(FeedEvent.Heartbeat(2, new StoreLineage("store", [new(22, 1)])));
        Assert.Equal(0, _cache.Resets);
    }
}
