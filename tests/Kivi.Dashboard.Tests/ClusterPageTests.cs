#pragma warning disable xUnit1051 // every wait in these multi-process tests has its own deadline
using Microsoft.Playwright;

namespace Kivi.Dashboard.Tests;

/// <summary>The cluster page with real processes: an origin and two edges, each with its own dashboard.</summary>
public sealed class ClusterPageTests(Browser browser) : IClassFixture<Browser>
{
    private async Task<IPage> SignedInAsync(Uri node)
    {
        var page = await browser.PageAsync();
        await page.GotoAsync(new Uri(node, "/dashboard/signin").ToString());
        await page.GetByLabel("Token").FillAsync(EdgeCluster.AdminToken);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Uri(node, "/dashboard").ToString()); // polled, as in DashboardTests
        return page;
    }

    [Fact]
    public async Task An_origin_shows_its_two_edges_with_their_feed_and_hit_ratio_and_an_edge_shows_its_own_state()
    {
        await using var cluster = await EdgeCluster.StartAsync(0);
        var edges = new List<ServerProcess>();
        foreach (string name in new[] { "dash-edge-1", "dash-edge-2" })
            edges.Add(await cluster.StartEdgeAsync(["--usage-interval", "00:00:00.2", "--node-name", name]));
        await EdgeCluster.PutAsync(cluster.Admin, cluster.ValuePath("k"), "v");
        foreach (var edge in edges)
            await EdgeCluster.WaitUntilAsync(async () => (await EdgeCluster.GetAsync(EdgeCluster.Client(edge.BaseAddress, EdgeCluster.AdminToken), cluster.ValuePath("k"))).Value == "v",
                TimeSpan.FromSeconds(30), "the value at each edge");

        var origin = await SignedInAsync(cluster.Origin.BaseAddress);
        await origin.GetByRole(AriaRole.Link, new() { Name = "Cluster" }).ClickAsync();
        await EdgeCluster.WaitUntilAsync(async () =>
        {
            await origin.ReloadAsync();
            return await origin.Locator("#edges tbody tr").CountAsync() == 2;
        }, TimeSpan.FromSeconds(30), "both edges on the origin's cluster page (edge logs follow)\n" + string.Join("\n---\n", edges.Select(e => e.Output)));
        await Assertions.Expect(origin.Locator("#edges tbody tr", new() { HasText = "dash-edge-1" })).ToContainTextAsync("connected");
        await Assertions.Expect(origin.Locator("#edges tbody tr", new() { HasText = "dash-edge-2" })).ToContainTextAsync("connected");
        foreach (int width in new[] { 1280, 400 })
        {
            await origin.SetViewportSizeAsync(width, 900);
            await origin.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Browser.Screenshots, $"cluster-{width}.png"), FullPage = true });
        }

        var edgePage = await SignedInAsync(edges[0].BaseAddress); // the edge's own dashboard: its token checked through the origin
        await edgePage.GotoAsync(new Uri(edges[0].BaseAddress, "/dashboard/cluster").ToString());
        await Assertions.Expect(edgePage.Locator("#this-edge")).ToContainTextAsync("connected");
        await edgePage.GotoAsync(new Uri(edges[0].BaseAddress, $"/dashboard/ns/{cluster.Namespace}").ToString());
        await Assertions.Expect(edgePage.Locator("#keys tbody tr").First).ToContainTextAsync("k");
    }
}
