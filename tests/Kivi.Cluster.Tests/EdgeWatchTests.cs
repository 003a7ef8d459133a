using System.Net;
using System.Text;
using System.Text.Json;

namespace Kivi.Cluster.Tests;

/// <summary>
/// Watches at an edge are served from the edge's own feed (fan-out): the origin serves the edge one feed however
/// many watchers it has, and a watcher the edge cannot serve from what it keeps is sent to the origin instead.
/// </summary>
[Collection("edge cluster")]
public sealed class EdgeWatchTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>An open watch: its NDJSON lines, read with a deadline.</summary>
    private sealed class Watch(HttpResponseMessage response, StreamReader reader) : IDisposable
    {
        public static async Task<Watch> OpenAsync(HttpClient client, EdgeCluster cluster, string query)
        {
            var response = await client.GetAsync($"/client/v4/accounts/{EdgeCluster.Account}/storage/kv/namespaces/{cluster.Namespace}/changes?{query}",
                HttpCompletionOption.ResponseHeadersRead, Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return new Watch(response, new StreamReader(await response.Content.ReadAsStreamAsync(Ct), Encoding.UTF8));
        }

        /// <summary>The next change line's key (heartbeats skipped); fails if the stream ends or nothing comes in time.</summary>
        public async Task<string> NextKeyAsync()
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            deadline.CancelAfter(Deadline);
            while (true)
            {
                string line = await reader.ReadLineAsync(deadline.Token) ?? throw new Xunit.Sdk.XunitException("the watch ended");
                if (line.Length == 0) continue;
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.GetProperty("type").GetString() == "change") return doc.RootElement.GetProperty("key").GetString()!;
            }
        }

        public void Dispose()
        {
            reader.Dispose();
            response.Dispose();
        }
    }

    private static async Task WaitForEdgeAsync(EdgeCluster cluster, HttpClient edge, string key)
    {
        await EdgeCluster.PutAsync(cluster.Admin, cluster.ValuePath(key), "x");
        await EdgeCluster.WaitUntilAsync(async () => (await EdgeCluster.GetAsync(edge, cluster.ValuePath(key))).Value == "x", Deadline, "the edge follows the origin");
    }

    [Fact]
    public async Task Watches_at_an_edge_are_served_from_its_own_feed_and_outlive_an_origin_restart()
    {
        await using var cluster = await EdgeCluster.StartAsync(1);
        using var edge = cluster.EdgeClient(0);
        edge.Timeout = Timeout.InfiniteTimeSpan;
        await WaitForEdgeAsync(cluster, edge, "ready");

        using var underA = await Watch.OpenAsync(edge, cluster, "prefix=a%2F&heartbeat_ms=200");
        using var all = await Watch.OpenAsync(edge, cluster, "heartbeat_ms=200");
        await EdgeCluster.PutAsync(cluster.Admin, cluster.ValuePath("b/1"), "x");
        await EdgeCluster.PutAsync(cluster.Admin, cluster.ValuePath("a/1"), "x");
        Assert.Equal("a/1", await underA.NextKeyAsync()); // b/1 filtered out by the prefix
        Assert.Equal(("b/1", "a/1"), (await all.NextKeyAsync(), await all.NextKeyAsync()));

        // A watch forwarded to the origin would end with it; one the edge serves waits, and carries on from the edge's feed.
        await cluster.KillOriginAsync();
        await cluster.RestartOriginAsync();
        await EdgeCluster.PutAsync(cluster.Admin, cluster.ValuePath("a/2"), "x");
        Assert.Equal("a/2", await underA.NextKeyAsync());
        Assert.Equal("a/2", await all.NextKeyAsync());
    }

    [Fact]
    public async Task A_watcher_resuming_before_what_the_edge_keeps_is_served_by_the_origin_and_misses_nothing()
    {
        await using var cluster = await EdgeCluster.StartAsync(0);
        await EdgeCluster.PutAsync(cluster.Admin, cluster.ValuePath("a/before the edge"), "x");
        await cluster.StartEdgeAsync([]);
        using var edge = cluster.EdgeClient(0);
        edge.Timeout = Timeout.InfiniteTimeSpan;
        await WaitForEdgeAsync(cluster, edge, "ready");

        using var fromStart = await Watch.OpenAsync(edge, cluster, "prefix=a%2F&after=0&heartbeat_ms=200");
        Assert.Equal("a/before the edge", await fromStart.NextKeyAsync()); // older than the edge's relay: the origin's log has it
        await EdgeCluster.PutAsync(cluster.Admin, cluster.ValuePath("a/after"), "x");
        Assert.Equal("a/after", await fromStart.NextKeyAsync());
    }
}
