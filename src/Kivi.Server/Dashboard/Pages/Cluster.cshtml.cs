using Kivi.Caching;
using Kivi.Core.Storage;
using Kivi.Protocol;
using Microsoft.Extensions.DependencyInjection;

namespace Kivi.Server.Dashboard.Pages;

/// <summary>At a store: the edges that check in with it (feed, lag, hit ratio, stale answers). At an edge: its own upstream, feed and cache.</summary>
internal sealed class ClusterModel(DashboardApi api) : DashboardPage(api)
{
    public EdgeCheckIn? Local { get; private set; }
    public List<EdgeSeen> Edges { get; } = [];

    public static string Ratio(EdgeCheckIn e) => e.Hits + e.Misses == 0 ? "—" : $"{(double)e.Hits / (e.Hits + e.Misses):P1}";

    public async Task OnGetAsync()
    {
        var services = HttpContext.RequestServices;
        if (services.GetService<IKvEngine>() is null && services.GetService<KvCache>() is { } cache)
        {
            var options = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<KiviOptions>>().Value;
            Local = new EdgeCheckIn("this edge", options.Upstream, cache.FeedHealthy, cache.Position, cache.UpstreamHead, cache.LagTime.TotalSeconds,
                cache.Hits, cache.Misses, cache.StaleServed, cache.Resets, cache.Count, cache.Bytes);
            return;
        }
        var edges = await Api.GetAsync(Token, "kivi/edges", HttpContext.RequestAborted);
        if (!edges.Ok)
        {
            Error = edges.Status == 403 ? "The cluster is for admins." : edges.Error;
            Response.StatusCode = edges.Status;
            return;
        }
        Edges.AddRange(System.Text.Json.JsonSerializer.Deserialize(edges.Result!, KiviProtocolJsonContext.Default.ListEdgeSeen)!);
    }
}
