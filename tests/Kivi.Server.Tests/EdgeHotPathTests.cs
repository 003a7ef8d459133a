#pragma warning disable xUnit1051 // every wait in these multi-process tests has its own deadline
using Kivi.Server.Rest;
using Microsoft.Extensions.DependencyInjection;

namespace Kivi.Server.Tests;

/// <summary>The hot read path ahead of routing, at an edge and a single node run in this process so its counter can be read.</summary>
[Collection("edge cluster")]
public sealed class EdgeHotPathTests
{
    private static async Task<(int, string, string)> Snapshot(HttpClient c, string path)
    {
        using var r = await c.GetAsync(path);
        var headers = r.Headers.Concat(r.Content.Headers).Where(h => h.Key != "Date").OrderBy(h => h.Key, StringComparer.Ordinal)
            .Select(h => $"{h.Key}: {string.Join(",", h.Value)}");
        return ((int)r.StatusCode, string.Join("\n", headers), await r.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_hot_read_answers_exactly_as_the_full_pipeline_does()
    {
        // The origin is a process; the edge runs in this process, so its hot path's counter can be read.
        await using var cluster = await EdgeCluster.StartAsync(0);
        await using var edgeApp = await KiviServer.CreateAsync(["--role", "edge", "--urls", "http://127.0.0.1:0", "--upstream", cluster.Origin.BaseAddress.ToString(),
            "--upstream-token", cluster.ReplicationToken, "--min-cache-ttl", "1", "--min-expiration-ttl", "1", "--Logging:LogLevel:Default=Warning"]);
        await edgeApp.StartAsync(TestContext.Current.CancellationToken);
        var answered = edgeApp.Services.GetRequiredService<HotReadCounter>();
        using var edge = EdgeCluster.Client(new Uri(edgeApp.Urls.First()), EdgeCluster.AdminToken);
        string key = cluster.ValuePath("same:answer");
        await EdgeCluster.PutAsync(cluster.Admin, key, "v", $"?expiration={DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 3600}");

        var cold = await Snapshot(edge, key); // fills the cache through the routed endpoint
        long before = answered.Answered;
        var hot = await Snapshot(edge, key);  // answered ahead of routing
        Assert.Equal(before + 1, answered.Answered);
        Assert.Equal(cold, hot);
        Assert.Contains("expiration: ", hot.Item2, StringComparison.Ordinal);
        // The same read with a cache_ttl goes the full way and answers the same.
        Assert.Equal(hot, await Snapshot(edge, key + "?cache_ttl=60"));
        Assert.Equal(before + 1, answered.Answered);
        await edgeApp.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task A_write_through_an_edge_installs_the_acknowledged_value_there_so_the_next_read_is_a_memory_hit()
    {
        await using var cluster = await EdgeCluster.StartAsync(0);
        await using var edgeApp = await KiviServer.CreateAsync(["--role", "edge", "--urls", "http://127.0.0.1:0", "--upstream", cluster.Origin.BaseAddress.ToString(),
            "--upstream-token", cluster.ReplicationToken, "--Logging:LogLevel:Default=Warning"]);
        await edgeApp.StartAsync(TestContext.Current.CancellationToken);
        var answered = edgeApp.Services.GetRequiredService<HotReadCounter>();
        var cache = edgeApp.Services.GetRequiredService<Kivi.Caching.KvCache>();
        using var edge = EdgeCluster.Client(new Uri(edgeApp.Urls.First()), EdgeCluster.AdminToken);
        string key = cluster.ValuePath("written:here");
        await Snapshot(edge, cluster.ValuePath("another")); // the edge learns the token and the namespace (a read's, not a write's, work)
        long misses = cache.Misses;
        using (var put = await edge.PutAsync(key + "?expiration_ttl=3600", new ByteArrayContent([1, 2, 3, 0, 255]), TestContext.Current.CancellationToken))
            Assert.True(put.IsSuccessStatusCode);
        long before = answered.Answered;
        var atEdge = await Snapshot(edge, key);
        Assert.Equal(before + 1, answered.Answered); // answered from memory, ahead of routing
        Assert.Equal(misses, cache.Misses);          // and nothing was fetched upstream for it
        Assert.Equal(await Snapshot(cluster.Admin, key), atEdge); // exactly what the origin answers: value, version, expiration
        await edgeApp.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task A_single_node_has_the_same_hot_path_over_its_in_process_cache()
    {
        await using var node = await KiviServerFixture.StartAsync();
        var answered = node.Services.GetRequiredService<HotReadCounter>();
        string ns = await node.CreateNamespaceAsync();
        string key = $"{KiviServerFixture.Namespaces}/{ns}/values/k";
        using (var put = await node.Client.PutAsync(key + $"?expiration={DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 3600}", new StringContent("v"), TestContext.Current.CancellationToken))
            Assert.True(put.IsSuccessStatusCode);
        var full = await Snapshot(node.Client, key + "?cache_ttl=60");
        long before = answered.Answered;
        var hot = await Snapshot(node.Client, key);
        Assert.Equal(before + 1, answered.Answered);
        Assert.Equal(full, hot);
    }

    [Fact]
    public async Task A_dot_segment_is_refused_at_the_edge_even_for_a_hot_key()
    {
        await using var cluster = await EdgeCluster.StartAsync(1);
        using var edge = cluster.EdgeClient(0);
        string key = cluster.ValuePath("k");
        await EdgeCluster.PutAsync(cluster.Admin, key, "v");
        Assert.Equal("v", (await EdgeCluster.GetAsync(edge, key)).Value);
        Assert.Equal("v", (await EdgeCluster.GetAsync(edge, key)).Value);
        var (status, _) = await RawHttp.SendAsync(cluster.Edges[0].BaseAddress, "GET", cluster.ValuePath("x") + "/../k", EdgeCluster.AdminToken);
        Assert.Equal(400, status);
    }
}

[CollectionDefinition("edge cluster", DisableParallelization = true)]
public sealed class EdgeClusterCollection;
