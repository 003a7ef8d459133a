using Kivi.Protocol;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kivi.Server.Usage;

/// <summary>
/// Takes what the meter counted every <see cref="KiviOptions.UsageInterval"/> (and just before each UTC hour ends, so
/// counts land in their hour) and hands it to the sink; on shutdown, takes and sends once more. <see cref="FlushAsync"/>
/// does the same at once, for a usage query that should include the reads just made.
/// </summary>
internal sealed class UsageReporter(UsageMeter meter, IUsageSink sink, TimeProvider time, KiviOptions options, ILogger<UsageReporter> logger) : BackgroundService
{
    private static readonly TimeSpan BeforeHourEnds = TimeSpan.FromMilliseconds(20);
    private readonly SemaphoreSlim _sending = new(1, 1);
    private string? _lastFailure;

    /// <summary>Takes and sends what was counted so far.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _sending.WaitAsync(cancellationToken);
        try
        {
            await sink.SendAsync(meter.Take(UsageReport.HourOf(time.GetUtcNow().ToUnixTimeMilliseconds())), cancellationToken);
            if (_lastFailure is not null) Log.UsageReportRecovered(logger);
            _lastFailure = null;
        }
        finally
        {
            _sending.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = time.GetUtcNow();
            var hourEnds = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero).AddHours(1) - BeforeHourEnds;
            var wait = hourEnds - now is var toHour && toHour > TimeSpan.Zero && toHour < options.UsageInterval ? toHour : options.UsageInterval;
            try
            {
                await Task.Delay(wait, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            await TryFlushAsync(stoppingToken);
            if (wait != options.UsageInterval) await Task.Delay(BeforeHourEnds * 2, time, CancellationToken.None); // past the hour before the next take
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(TimeSpan.FromSeconds(5));
        await TryFlushAsync(bounded.Token);
    }

    private async Task TryFlushAsync(CancellationToken cancellationToken)
    {
        try
        {
            await FlushAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Kept (the store's sink holds its rows, an edge's outbox its reports) and tried again next time; said once per outage.
            if (_lastFailure is null) Log.UsageReportFailed(logger, e.Message);
            _lastFailure = e.Message;
        }
        catch (OperationCanceledException)
        {
        }
    }
}
