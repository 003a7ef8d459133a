using Kivi.Core.Storage;
using Kivi.Protocol;

namespace Kivi.Server.Usage;

/// <summary>A store's own reads and lists, written to its usage table through its writer (rows that fail are kept and sent with the next).</summary>
internal sealed class StoreUsageSink(IKvEngine engine, Quotas.StoreQuotas quotas, Telemetry.StorageGauges? gauges) : IUsageSink
{
    private readonly List<UsageCount> _pending = [];

    public async Task SendAsync(IReadOnlyList<UsageCount> rows, CancellationToken cancellationToken)
    {
        _pending.AddRange(rows);
        if (_pending.Count > 0)
        {
            await engine.WriteAsync(new RecordUsage(new UsageReport(null, 0, _pending.ToArray())));
            _pending.Clear();
        }
        await quotas.RefreshAsync(cancellationToken); // what other origins and the edges used, from the table; and the per-key limit forgets old keys
        if (gauges is not null) await gauges.RefreshAsync(engine, cancellationToken);
    }
}
