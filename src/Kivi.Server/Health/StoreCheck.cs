using Kivi.Core.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Kivi.Server.Health;

/// <summary>The store is open, migrated and answering (for PostgreSQL: the database answers a query now).</summary>
internal sealed class StoreCheck(IKvEngine engine) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await engine.PingAsync(cancellationToken);
            return HealthCheckResult.Healthy($"{engine.Description}, head {engine.HeadVersion}, durable {engine.DurableHeadVersion}");
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"{engine.Description} does not answer: {e.Message}");
        }
    }
}
