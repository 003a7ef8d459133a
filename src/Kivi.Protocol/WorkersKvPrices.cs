namespace Kivi.Protocol;

/// <summary>
/// Workers KV's published prices (paid plan, 2026): what the usage Kivi counted would cost there. Each kind of operation
/// has a monthly allowance included, prorated here over the range asked about; storage is billed per GB-month over
/// what is included. Every figure is a setting, for when the price list changes.
/// </summary>
public sealed record WorkersKvPrices
{
    public static WorkersKvPrices Published { get; } = new();

    /// <summary>US dollars per million reads beyond the allowance.</summary>
    public decimal ReadsPerMillion { get; init; } = 0.50m;

    /// <summary>US dollars per million writes, deletes or lists (each its own allowance) beyond the allowance.</summary>
    public decimal WritesPerMillion { get; init; } = 5.00m;

    /// <summary>US dollars per GB-month stored beyond the allowance.</summary>
    public decimal StoragePerGbMonth { get; init; } = 0.50m;

    public long IncludedReadsPerMonth { get; init; } = 10_000_000;
    public long IncludedWritesPerMonth { get; init; } = 1_000_000;
    public decimal IncludedStorageGb { get; init; } = 1m;

    private const decimal DaysPerMonth = 30m, BytesPerGb = 1_000_000_000m;

    /// <summary>The cost of <paramref name="usage"/> over <paramref name="days"/> days, storing <paramref name="storedBytes"/> throughout.</summary>
    public CostEstimate Estimate(UsageMetrics usage, long storedBytes, decimal days)
    {
        decimal months = days / DaysPerMonth;
        decimal Ops(long count, long includedPerMonth, decimal perMillion) =>
            Math.Max(0m, count - includedPerMonth * months) / 1_000_000m * perMillion;
        decimal reads = Ops(usage.Reads, IncludedReadsPerMonth, ReadsPerMillion);
        decimal writes = Ops(usage.Writes, IncludedWritesPerMonth, WritesPerMillion);
        decimal deletes = Ops(usage.Deletes, IncludedWritesPerMonth, WritesPerMillion);
        decimal lists = Ops(usage.Lists, IncludedWritesPerMonth, WritesPerMillion);
        decimal storage = Math.Max(0m, storedBytes / BytesPerGb - IncludedStorageGb) * months * StoragePerGbMonth;
        return new CostEstimate(Round(reads), Round(writes), Round(deletes), Round(lists), Round(storage), Round(reads + writes + deletes + lists + storage));
    }

    private static decimal Round(decimal dollars) => Math.Round(dollars, 4, MidpointRounding.AwayFromZero);
}

/// <summary>An estimate in US dollars, by what it is for.</summary>
public sealed record CostEstimate(decimal Reads, decimal Writes, decimal Deletes, decimal Lists, decimal Storage, decimal Total);
