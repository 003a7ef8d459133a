using Microsoft.Extensions.Logging;

namespace Kivi.Server;

/// <summary>Every log message of the server, with fixed event ids.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Kivi {Role} node: data in {DataFolder}, account {AccountId}")]
    public static partial void Started(ILogger logger, string role, string dataFolder, string accountId);

    [LoggerMessage(2, LogLevel.Warning, "Admin token generated and written to {Path} (mode 0600), since the data folder held none; pass it as 'Authorization: Bearer <token>'")]
    public static partial void AdminTokenGenerated(ILogger logger, string path);

    [LoggerMessage(3, LogLevel.Information, "Admin token read from {Path}")]
    public static partial void AdminTokenRead(ILogger logger, string path);

    [LoggerMessage(4, LogLevel.Error, "Unhandled error on {Method} {Path}")]
    public static partial void Unhandled(ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(5, LogLevel.Information, "Swept {Count} expired entries")]
    public static partial void Swept(ILogger logger, int count);

    [LoggerMessage(6, LogLevel.Error, "Expiration sweep failed")]
    public static partial void SweepFailed(ILogger logger, Exception exception);

    [LoggerMessage(8, LogLevel.Warning, "The upstream acknowledged a write to {Uri} without a Kivi-Version: read-your-writes cannot be ensured for it")]
    public static partial void NoWriteVersion(ILogger logger, Uri? uri);

    [LoggerMessage(9, LogLevel.Warning, "The change feed from {Upstream} stopped ({Reason}); reconnecting, and reporting again each minute it stays down")]
    public static partial void FeedStopped(ILogger logger, Uri upstream, string? reason);

    [LoggerMessage(18, LogLevel.Warning, "The change feed from {Upstream} is still down after {DownSeconds:0} s and {Failures} attempts; the latest: {Reason}")]
    public static partial void FeedStillDown(ILogger logger, Uri upstream, double downSeconds, int failures, string? reason);

    [LoggerMessage(19, LogLevel.Information, "The change feed from {Upstream} works again, after {DownSeconds:0.0} s and {Failures} failed attempts")]
    public static partial void FeedBack(ILogger logger, Uri upstream, double downSeconds, int failures);

    /// <summary>Logs an outage of the feed from <paramref name="upstream"/>: when it begins, each reminder while it lasts, and its end.</summary>
    public static void FeedOutage(ILogger logger, Uri upstream, Kivi.Caching.FeedOutage outage)
    {
        switch (outage.Phase)
        {
            case Kivi.Caching.FeedOutagePhase.Began: FeedStopped(logger, upstream, outage.Reason); break;
            case Kivi.Caching.FeedOutagePhase.Continues: FeedStillDown(logger, upstream, outage.DownFor.TotalSeconds, outage.Failures, outage.Reason); break;
            default: FeedBack(logger, upstream, outage.DownFor.TotalSeconds, outage.Failures); break;
        }
    }

    [LoggerMessage(10, LogLevel.Information, "Edge of {Upstream}: cache {CapacityBytes} bytes, default cacheTtl {CacheTtl} s, stale-if-error up to {MaxStale}")]
    public static partial void EdgeStarted(ILogger logger, Uri upstream, long capacityBytes, int cacheTtl, TimeSpan maxStale);

    [LoggerMessage(11, LogLevel.Warning, "{Warning}")]
    public static partial void StoreWarning(ILogger logger, string warning);

    [LoggerMessage(12, LogLevel.Information, "Store: {Description}")]
    public static partial void Store(ILogger logger, string description);

    [LoggerMessage(13, LogLevel.Warning, "Upstream {Failed} unreachable; failing over to {Next}")]
    public static partial void FailingOver(ILogger logger, Uri failed, Uri next);

    [LoggerMessage(15, LogLevel.Warning, "Requests are failing with {Status}: {Message} ({Suppressed} more such failures since the last line; at most one line a minute)")]
    public static partial void Fault(ILogger logger, int status, string message, int suppressed);

    [LoggerMessage(14, LogLevel.Warning, "Cache reset ({Resets} so far): {Reason}; everything held was dropped and the feed starts again from the upstream's head")]
    public static partial void CacheReset(ILogger logger, long resets, string reason);

    [LoggerMessage(16, LogLevel.Warning, "Usage could not be reported ({Reason}); the counts are kept and sent again every interval")]
    public static partial void UsageReportFailed(ILogger logger, string reason);

    [LoggerMessage(17, LogLevel.Information, "Usage reports are going through again")]
    public static partial void UsageReportRecovered(ILogger logger);
}
