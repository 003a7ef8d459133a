#pragma warning disable xUnit1051 // every wait in these multi-process tests has its own deadline
using System.Globalization;

namespace Kivi.Cluster.Tests;

/// <summary>The consistency contract at the edges, on real processes: an origin and edges on loopback ports.</summary>
[Collection("edge cluster")]
public sealed class EdgeTests
{
    private static readonly TimeSpan Propagation = TimeSpan.FromSeconds(10);

    private static long UnixNow => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    [Fact]
    public async Task A_change_reaches_every_edge_and_a_new_key_is_visible_at_once()
    {
        await using var cluster = await EdgeCluster.StartAsync(3);
        var edges = Enumerable.Range(0, 3).Select(cluster.EdgeClient).ToList();
        string key = cluster.ValuePath("flag");
        // Every edge has looked and found nothing (a cached miss while its feed is healthy)...
        foreach (var edge in edges) Assert.Equal(404, (await EdgeCluster.GetAsync(edge, key)).Status);
        // ...and still sees the key as soon as the feed brings it, without waiting for any cacheTtl.
        long v1 = await EdgeCluster.PutAsync(cluster.Admin, key, "on");
        foreach (var edge in edges)
            await EdgeCluster.WaitUntilAsync(async () => (await EdgeCluster.GetAsync(edge, key)).Version == v1, Propagation, "the new key at every edge");
        long v2 = await EdgeCluster.PutAsync(cluster.Admin, key, "off");
        foreach (var edge in edges)
            await EdgeCluster.WaitUntilAsync(async () => (await EdgeCluster.GetAsync(edge, key)).Value == "off", Propagation, "the change at every edge");
        Assert.All(await Task.WhenAll(edges.Select(e => EdgeCluster.GetAsync(e, key))), r => Assert.Equal(v2, r.Version));
        using var deleted = await cluster.Admin.DeleteAsync(key);
        foreach (var edge in edges)
            await EdgeCluster.WaitUntilAsync(async () => (await EdgeCluster.GetAsync(edge, key)).Status == 404, Propagation, "the delete at every edge");
    }

    [Fact]
    public async Task A_write_through_an_edge_is_read_back_there_at_once()
    {
        await using var cluster = await EdgeCluster.StartAsync(1);
        var edge = cluster.EdgeClient(0);
        string key = cluster.ValuePath("session");
        for (int i = 0; i < 50; i++)
        {
            long v = await EdgeCluster.PutAsync(edge, key, $"value-{i}");
            var read = await EdgeCluster.GetAsync(edge, key);
            Assert.Equal((Value: (string?)$"value-{i}", Version: v), (read.Value, read.Version));
        }
        using (var deleted = await edge.DeleteAsync(key)) Assert.True(deleted.IsSuccessStatusCode);
        Assert.Equal(404, (await EdgeCluster.GetAsync(edge, key)).Status);
        // Bulk writes too: the edge learns the keys from the body it forwarded.
        string bulk = $"/client/v4/accounts/{EdgeCluster.Account}/storage/kv/namespaces/{cluster.Namespace}/bulk";
        await EdgeCluster.GetAsync(edge, cluster.ValuePath("b1"));
        using (var put = await edge.PutAsync(bulk, new StringContent("""[{"key":"b1","value":"one"},{"key":"b2","value":"two"}]""")))
            Assert.True(put.IsSuccessStatusCode);
        Assert.Equal("one", (await EdgeCluster.GetAsync(edge, cluster.ValuePath("b1"))).Value);
        using (var del = await edge.PostAsync(bulk + "/delete", new StringContent("""["b1"]""")))
            Assert.True(del.IsSuccessStatusCode);
        Assert.Equal(404, (await EdgeCluster.GetAsync(edge, cluster.ValuePath("b1"))).Status);
    }

    [Fact]
    public async Task With_the_origin_killed_edges_serve_what_they_hold_marked_stale_refuse_writes_and_catch_up_after()
    {
        await using var cluster = await EdgeCluster.StartAsync(2, edgeArgs: ["--default-cache-ttl", "1"]);
        string key = cluster.ValuePath("banner");
        long v1 = await EdgeCluster.PutAsync(cluster.Admin, key, "hello");
        var edges = Enumerable.Range(0, 2).Select(cluster.EdgeClient).ToList();
        foreach (var edge in edges)
            await EdgeCluster.WaitUntilAsync(async () => (await EdgeCluster.GetAsync(edge, key)).Version == v1, Propagation, "the value cached at the edge");

        await cluster.KillOriginAsync();
        foreach (var edge in edges)
        {
            // Past the 1 s cacheTtl the edge must ask upstream, fails, and serves its copy marked stale.
            await EdgeCluster.WaitUntilAsync(async () => (await EdgeCluster.GetAsync(edge, key)).Stale is not null, Propagation, "a stale-marked answer");
            var read = await EdgeCluster.GetAsync(edge, key);
            Assert.Equal(("hello", v1), (read.Value, read.Version));
            Assert.True(long.Parse(read.Stale!, CultureInfo.InvariantCulture) >= 1);
            using var write = await edge.PutAsync(key, new StringContent("lost?"));
            Assert.Equal(503, (int)write.StatusCode);
            Assert.Contains("cannot reach its upstream", await write.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            // A key the edge never held cannot be made up: a clear error, not a 404 that would read as "no such key".
            var unknown = await EdgeCluster.GetAsync(edge, cluster.ValuePath("never-read"));
            Assert.Equal(503, unknown.Status);
        }

        await cluster.RestartOriginAsync();
        using var admin = EdgeCluster.Client(cluster.Origin.BaseAddress, EdgeCluster.AdminToken);
        long v2 = await EdgeCluster.PutAsync(admin, key, "back");
        Assert.True(v2 > v1);
        foreach (var edge in edges)
            await EdgeCluster.WaitUntilAsync(async () => await EdgeCluster.GetAsync(edge, key) is { Version: var v, Stale: null } && v == v2, TimeSpan.FromSeconds(20), "the edge caught up");
    }

    [Fact]
    public async Task With_the_feed_stalled_a_change_still_shows_within_the_readers_cacheTtl()
    {
        await using var cluster = await EdgeCluster.StartAsync(1);
        var edge = cluster.EdgeClient(0);
        string key = cluster.ValuePath("config");
        long v1 = await EdgeCluster.PutAsync(cluster.Admin, key, "one");
        await EdgeCluster.WaitUntilAsync(async () => (await EdgeCluster.GetAsync(edge, key, "?cache_ttl=2")).Version == v1, Propagation, "cached");
        await cluster.Gates[0].StallAsync(); // nothing sent from here on reaches the edge
        long v2 = await EdgeCluster.PutAsync(cluster.Admin, key, "two");
        // A strong read is forwarded to the origin: the new version at once, whatever the feed does.
        var strong = await EdgeCluster.GetAsync(edge, key, "?consistency=strong");
        Assert.Equal((v2, "two"), (strong.Version, strong.Value));
        // A conditional write travels through the edge with its headers and is checked at the origin.
        using (var create = new HttpRequestMessage(HttpMethod.Put, key) { Content = new StringContent("three") })
        {
            create.Headers.TryAddWithoutValidation("If-None-Match", "*");
            using var refused = await edge.SendAsync(create, TestContext.Current.CancellationToken);
            Assert.Equal(System.Net.HttpStatusCode.PreconditionFailed, refused.StatusCode);
        }
        var written = DateTime.UtcNow;
        // The stalled feed cannot deliver the change; the 2 s cacheTtl must. Reads stay fresh, not stale-marked.
        await EdgeCluster.WaitUntilAsync(async () => (await EdgeCluster.GetAsync(edge, key, "?cache_ttl=2")).Version == v2, TimeSpan.FromSeconds(8), "the change within cacheTtl");
        Assert.Null((await EdgeCluster.GetAsync(edge, key, "?cache_ttl=2")).Stale);
        // A key created while the feed is stalled is not hidden by a cached miss once the feed is seen to be unhealthy.
        string fresh = cluster.ValuePath("created-during-stall");
        Assert.Equal(404, (await EdgeCluster.GetAsync(edge, fresh)).Status);
        await EdgeCluster.PutAsync(cluster.Admin, fresh, "here");
        await EdgeCluster.WaitUntilAsync(async () => (await EdgeCluster.GetAsync(edge, fresh)).Value == "here", TimeSpan.FromSeconds(8), "the new key despite the stalled feed");
        Assert.True(DateTime.UtcNow - written < TimeSpan.FromSeconds(16));
    }

    [Fact]
    public async Task An_edge_behind_the_trimmed_log_resets_and_keeps_no_stale_value()
    {
        await using var cluster = await EdgeCluster.StartAsync(1, originArgs: ["--change-retention", "10", "--sweep-interval", "00:00:00.2"]);
        var edge = cluster.EdgeClient(0);
        string a = cluster.ValuePath("a"), b = cluster.ValuePath("b");
        await EdgeCluster.PutAsync(cluster.Admin, a, "a0");
        long vb = await EdgeCluster.PutAsync(cluster.Admin, b, "b0");
        await EdgeCluster.WaitUntilAsync(async () => (await EdgeCluster.GetAsync(edge, b)).Version == vb && (await EdgeCluster.GetAsync(edge, a)).Value == "a0", Propagation, "cached");
        cluster.Gates[0].Cut();
        for (int i = 1; i <= 40; i++) await EdgeCluster.PutAsync(cluster.Admin, cluster.ValuePath($"filler-{i}"), "x");
        long va = await EdgeCluster.PutAsync(cluster.Admin, a, "a1");
        long vb2 = await EdgeCluster.PutAsync(cluster.Admin, b, "b1");
        // Wait for the origin to trim its log past the edge's position (a reader from 0 is told to reset).
        await EdgeCluster.WaitUntilAsync(async () =>
        {
            using var feed = await cluster.Admin.GetAsync("/client/v4/kivi/changes?after=1", HttpCompletionOption.ResponseHeadersRead);
            using var reader = new StreamReader(await feed.Content.ReadAsStreamAsync());
            return (await reader.ReadLineAsync())?.Contains("\"reset\"", StringComparison.Ordinal) == true;
        }, Propagation, "the log trimmed");
        cluster.Gates[0].Resume();
        // The default 60 s cacheTtl would keep a0/b0 for a minute: only the reset can make the edge drop them.
        await EdgeCluster.WaitUntilAsync(async () => (await EdgeCluster.GetAsync(edge, a)).Version == va, Propagation, "a after the reset");
        Assert.Equal(("b1", vb2), ((await EdgeCluster.GetAsync(edge, b)).Value, (await EdgeCluster.GetAsync(edge, b)).Version));
    }

    [Fact]
    public async Task An_expired_value_is_never_served_by_an_edge()
    {
        await using var cluster = await EdgeCluster.StartAsync(2);
        string key = cluster.ValuePath("token");
        long expiration = UnixNow + 8; // room for a loaded machine to fill both caches first
        long v = await EdgeCluster.PutAsync(cluster.Admin, key, "secret", $"?expiration={expiration}");
        var edges = Enumerable.Range(0, 2).Select(cluster.EdgeClient).ToList();
        foreach (var edge in edges)
            await EdgeCluster.WaitUntilAsync(async () => (await EdgeCluster.GetAsync(edge, key)).Version == v, Propagation, "cached");
        int served = 0, refused = 0;
        while (UnixNow <= expiration + 1)
        {
            foreach (var edge in edges)
            {
                long before = UnixNow;
                var read = await EdgeCluster.GetAsync(edge, key);
                if (read.Status == 200)
                {
                    served++;
                    Assert.True(before < expiration, $"served at {before}, expired at {expiration}");
                }
                else
                {
                    refused++;
                    Assert.Equal(404, read.Status);
                    Assert.True(UnixNow >= expiration, "refused before its expiration");
                }
            }
        }
        Assert.True(served > 0 && refused > 0);
    }

    [Fact]
    public async Task Reads_never_go_back_in_versions_under_writes_while_edges_reconnect()
    {
        await using var cluster = await EdgeCluster.StartAsync(3);
        string key = cluster.ValuePath("counter");
        using var stop = new CancellationTokenSource();
        long written = 0, served = 0; // progress the rounds below wait on, instead of sleeping
        var writer = Task.Run(async () =>
        {
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                await EdgeCluster.PutAsync(cluster.Admin, key, i.ToString(CultureInfo.InvariantCulture));
                Interlocked.Increment(ref written);
            }
        });
        var readers = Enumerable.Range(0, 6).Select(r => Task.Run(async () =>
        {
            using var edge = cluster.EdgeClient(r % 3);
            long last = 0;
            int reads = 0;
            while (!stop.IsCancellationRequested)
            {
                var read = await EdgeCluster.GetAsync(edge, key);
                if (read.Status != 200) continue;
                Assert.True(read.Version >= last, $"edge {r % 3} went back from version {last} to {read.Version}");
                last = read.Version;
                reads++;
                Interlocked.Increment(ref served);
            }
            return reads;
        })).ToList();
        // Each round: writes and reads flow, the feeds are cut while both go on, then the edges reconnect.
        async Task Progress(string what)
        {
            long w = Interlocked.Read(ref written), s = Interlocked.Read(ref served);
            await EdgeCluster.WaitUntilAsync(() => Task.FromResult(Interlocked.Read(ref written) >= w + 20 && Interlocked.Read(ref served) >= s + 60),
                TimeSpan.FromSeconds(20), what);
        }
        for (int round = 0; round < 4; round++)
        {
            await Progress("writes and reads with the feeds up");
            foreach (var gate in cluster.Gates) gate.Cut();
            await Progress("writes and reads with the feeds cut");
            foreach (var gate in cluster.Gates) gate.Resume();
        }
        await stop.CancelAsync();
        await writer;
        Assert.All(await Task.WhenAll(readers), n => Assert.True(n > 10));
    }

    [Fact]
    public async Task An_edge_can_follow_another_edge_and_writes_through_it_still_read_back()
    {
        await using var cluster = await EdgeCluster.StartAsync(1);
        var (_, localClient) = await cluster.StartLowerTierAsync();
        string key = cluster.ValuePath("tiered");
        Assert.Equal(404, (await EdgeCluster.GetAsync(localClient, key)).Status);
        long v1 = await EdgeCluster.PutAsync(cluster.Admin, key, "from the origin");
        await EdgeCluster.WaitUntilAsync(async () => (await EdgeCluster.GetAsync(localClient, key)).Version == v1, Propagation, "the change two tiers down");
        long v2 = await EdgeCluster.PutAsync(localClient, key, "from the local edge");
        Assert.Equal(v2, (await EdgeCluster.GetAsync(localClient, key)).Version);
        using var regionalClient = cluster.EdgeClient(0);
        Assert.Equal(v2, (await EdgeCluster.GetAsync(regionalClient, key)).Version);
    }

    /// <summary>
    /// A lower tier that holds an answer its edge gave from the origin's head, past the edge's own feed, reconnects to
    /// that edge's feed: the edge waits a moment (2 s) for its feed to get there, and while its feed stays stalled it
    /// cannot vouch for the history up to that answer, so the lower tier starts again rather than resume past it.
    /// </summary>
    [Fact]
    public async Task A_lower_tier_holding_an_answer_past_its_edges_feed_starts_again_when_the_edge_cannot_catch_up()
    {
        await using var cluster = await EdgeCluster.StartAsync(1);
        var (local, localClient) = await cluster.StartLowerTierAsync();

        await cluster.Gates[0].StallAsync(); // the regional edge's feed: open, silent
        string key = cluster.ValuePath("ahead");
        long version = await EdgeCluster.PutAsync(cluster.Admin, key, "past the regional feed");
        Assert.Equal(("past the regional feed", version), ((await EdgeCluster.GetAsync(localClient, key)).Value, (await EdgeCluster.GetAsync(localClient, key)).Version));
        Assert.DoesNotContain("Cache reset", local.Output, StringComparison.Ordinal);

        cluster.Gates[1].Cut(); // the local edge's feed breaks...
        cluster.Gates[1].Resume(); // ...and reconnects, holding an answer the regional edge's feed has not reached
        await EdgeCluster.WaitUntilAsync(() => Task.FromResult(local.Output.Contains("Cache reset", StringComparison.Ordinal)), Propagation,
            "the local edge starts again", () => ". Local edge's log:\n" + local.Output);
        Assert.Equal(("past the regional feed", version), ((await EdgeCluster.GetAsync(localClient, key)).Value, (await EdgeCluster.GetAsync(localClient, key)).Version));

        cluster.Gates[0].Resume();
        long later = await EdgeCluster.PutAsync(cluster.Admin, key, "after the feed came back");
        await EdgeCluster.WaitUntilAsync(async () => (await EdgeCluster.GetAsync(localClient, key)).Version == later, Propagation, "later changes reach the local edge");
    }

    [Fact]
    public async Task The_workerd_binding_protocol_works_through_an_edge()
    {
        await using var cluster = await EdgeCluster.StartAsync(1);
        using var edge = cluster.EdgeClient(0);
        edge.DefaultRequestHeaders.Add("X-Kivi-Namespace", cluster.Namespace);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await edge.GetAsync("/a%2Fb?urlencoded=true")).StatusCode);
        using (var put = new HttpRequestMessage(HttpMethod.Put, "/a%2Fb?urlencoded=true&expiration_ttl=3600") { Content = new StringContent("bound") })
        {
            put.Headers.Add("CF-KV-Metadata", """{"via":"edge"}""");
            using var written = await edge.SendAsync(put);
            Assert.True(written.IsSuccessStatusCode, await written.Content.ReadAsStringAsync());
        }
        using var read = await edge.GetAsync("/a%2Fb?urlencoded=true"); // read back at once, through the edge's cache
        Assert.Equal("bound", await read.Content.ReadAsStringAsync());
        Assert.Equal("""{"via":"edge"}""", read.Headers.GetValues("CF-KV-Metadata").Single());
        Assert.True(read.Headers.Contains("CF-Expiration"));
        using var list = await edge.GetAsync("/?prefix=a%2F&key_count_limit=10");
        Assert.Contains("\"name\":\"a/b\"", await list.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // An error from the origin comes back through the edge as workerd expects it: status and text.
        using var bad = await edge.PutAsync("/short?urlencoded=true&expiration_ttl=0", new StringContent("x"));
        Assert.Equal(400, (int)bad.StatusCode);
        Assert.Contains("Invalid expiration_ttl of 0", bad.ReasonPhrase ?? "", StringComparison.Ordinal);
        Assert.Equal("bound", (await EdgeCluster.GetAsync(cluster.Admin, cluster.ValuePath("a/b"))).Value);
    }

    [Fact]
    public async Task Tokens_are_checked_at_the_edge_and_scoped_as_at_the_origin()
    {
        await using var cluster = await EdgeCluster.StartAsync(1);
        string key = cluster.ValuePath("private");
        await EdgeCluster.PutAsync(cluster.Admin, key, "v");
        using var edgeAsStranger = EdgeCluster.Client(cluster.Edges[0].BaseAddress, "not-a-token");
        Assert.Equal(403, (await EdgeCluster.GetAsync(edgeAsStranger, key)).Status);
        using var edgeAsReplica = EdgeCluster.Client(cluster.Edges[0].BaseAddress, cluster.ReplicationToken);
        Assert.Equal("v", (await EdgeCluster.GetAsync(edgeAsReplica, key)).Value);
        using var write = await edgeAsReplica.PutAsync(key, new StringContent("x"));
        Assert.Equal(403, (int)write.StatusCode);
    }
}

[CollectionDefinition("edge cluster", DisableParallelization = true)]
public sealed class EdgeClusterCollection;
