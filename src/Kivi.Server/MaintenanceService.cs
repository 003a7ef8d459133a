using Kivi.Core;
using Kivi.Core.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kivi.Server;

/// <summary>
/// Removes expired rows and logs their removal on the change feed (reads never depend on it: an entry is
/// invisible from the second it expires; the sweep reclaims space and tells the edges), and trims the
/// change log to its retention.
/// </summary>
internal sealed class MaintenanceService(IKvEngine store, KvService kv, IOptions<KiviOptions> options, TimeProvider time, ILogger<MaintenanceService> logger) : BackgroundService
{
    private const int BatchRows = 1000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    int total = 0, swept;
                    do
                    {
                        swept = await store.PurgeExpiredAsync(kv.NowSeconds, BatchRows, stoppingToken);
                        total += swept;
                    } while (swept == BatchRows && !stoppingToken.IsCancellationRequested);
                    if (total > 0) Log.Swept(logger, total);
                    long keepAfter = store.DurableHeadVersion - options.Value.ChangeRetention;
                    if (keepAfter > 0) await store.TrimChangesAsync(keepAfter, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Log.SweepFailed(logger, e);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }
}
