using Kivi.Caching;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Kivi.Server.Health;

/// <summary>An edge's change feed is connected, alive, and no further behind its upstream than <c>--ready-max-lag</c>.</summary>
internal sealed class FeedCheck(KvCache cache, TimeSpan maxLag) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!cache.FeedHealthy)
            return Task.FromResult(HealthCheckResult.Unhealthy($"the change feed is down or silent (at version {cache.Position}); answers may be stale"));
        var lag = cache.LagTime;
        if (lag > maxLag)
            return Task.FromResult(HealthCheckResult.Unhealthy($"the change feed is {cache.LagVersions} versions and {lag.TotalSeconds:0.0} s behind its upstream (at most {maxLag.TotalSeconds:0.#} s)"));
        return Task.FromResult(HealthCheckResult.Healthy($"at version {cache.Position}, {cache.LagVersions} behind the upstream's head"));
    }
}
