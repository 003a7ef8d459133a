using System.Diagnostics.Metrics;

namespace Kivi.Core.Storage;

/// <summary>
/// What every engine's writer measures, on the <c>Kivi.Storage</c> meter: the writes each group commit carries and how
/// long making a group durable takes (SQLite's fdatasync of its WAL; PostgreSQL's COMMIT, which waits for its own).
/// </summary>
public static class StoreMetrics
{
    public const string MeterName = "Kivi.Storage";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Writes committed together in one transaction.</summary>
    public static readonly Histogram<int> BatchSize = Meter.CreateHistogram<int>("kivi.store.commit.batch.size", "{write}",
        "Writes committed together in one group commit", advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096] });

    /// <summary>Seconds to make one group durable.</summary>
    public static readonly Histogram<double> SyncDuration = Meter.CreateHistogram<double>("kivi.store.sync.duration", "s",
        "Time to make one group commit durable (fsync, or PostgreSQL's COMMIT)",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1] });
}
