using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Kivi.Server.Health;

/// <summary>An edge's upstream answers its liveness probe (over the edge's own connection, TLS and failover included).</summary>
internal sealed class UpstreamCheck(HttpClient upstream) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            using var response = await upstream.GetAsync("healthz", bounded.Token);
            return response.IsSuccessStatusCode
                ? HealthCheckResult.Healthy($"{upstream.BaseAddress} answers")
                : HealthCheckResult.Unhealthy($"{upstream.BaseAddress} answered {(int)response.StatusCode}");
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"{upstream.BaseAddress} is unreachable: {(e is HttpRequestException h ? Kivi.Client.KiviUpstream.Describe(h) : "no answer within 2 s")}");
        }
    }
}
