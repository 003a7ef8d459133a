#pragma warning disable xUnit1051 // every wait in these multi-process tests has its own deadline
using System.Text.Json;

namespace Kivi.Cluster.Tests;

/// <summary>/readyz at an edge, on real processes: it turns when its origin dies or its feed stalls, and back when they recover; /metrics says why.</summary>
[Collection("edge cluster")]
public sealed class ReadinessTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static async Task<(int Status, JsonElement Body)> ReadyAsync(HttpClient node)
    {
        using var response = await node.GetAsync("/readyz");
        return ((int)response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private static string Check(JsonElement body, string name) => body.GetProperty("checks").GetProperty(name).GetProperty("status").GetString()!;

    [Fact]
    public async Task An_edge_is_not_ready_while_its_feed_is_stalled_or_its_origin_is_down()
    {
        await using var cluster = await EdgeCluster.StartAsync(1);
        var edge = cluster.EdgeClient(0);
        await EdgeCluster.WaitUntilAsync(async () => (await ReadyAsync(edge)).Status == 200, Deadline, "the edge ready once its feed is up");
        var ready = (await ReadyAsync(edge)).Body;
        Assert.Equal(("ok", "ok"), (Check(ready, "upstream"), Check(ready, "feed")));
        var origin = (await ReadyAsync(cluster.Admin)).Body;
        Assert.Equal("ok", Check(origin, "store"));

        await cluster.Gates[0].StallAsync();
        await EdgeCluster.WaitUntilAsync(async () => (await ReadyAsync(edge)).Status == 503, Deadline, "the edge not ready while its feed is stalled");
        var stalled = (await ReadyAsync(edge)).Body;
        Assert.Equal(("ok", "failing"), (Check(stalled, "upstream"), Check(stalled, "feed")));
        Assert.Equal(0, (await PrometheusText.ScrapeAsync(edge)).Value("kivi_feed_connected"));
        cluster.Gates[0].Resume();
        await EdgeCluster.WaitUntilAsync(async () => (await ReadyAsync(edge)).Status == 200, Deadline, "the edge ready again once its feed flows");

        await cluster.KillOriginAsync();
        await EdgeCluster.WaitUntilAsync(async () => (await ReadyAsync(edge)).Status == 503, Deadline, "the edge not ready while its origin is down");
        Assert.Equal("failing", Check((await ReadyAsync(edge)).Body, "upstream"));
    }
}
