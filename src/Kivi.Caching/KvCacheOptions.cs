namespace Kivi.Caching;

/// <summary>Cache settings; <see cref="Validate"/> runs when the cache is built.</summary>
public sealed class KvCacheOptions
{
    /// <summary>Memory the cache may hold for entries, counted as value + key + metadata + per-entry overhead.</summary>
    public long CapacityBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Values larger than this are read through, never cached.</summary>
    public int MaxEntryBytes { get; set; } = 1024 * 1024;

    /// <summary>How long stale-if-error may serve past cacheTtl while the upstream is unreachable; zero turns it off.</summary>
    public TimeSpan MaxStaleness { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The feed counts as healthy while a line arrived this recently (heartbeats come several times within it).</summary>
    public TimeSpan FeedHealthTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How often the follower asks the upstream for a heartbeat while idle.</summary>
    public TimeSpan FeedHeartbeat { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Cached list pages (dropped by any change under their prefix) are capped at this many.</summary>
    public int MaxListPages { get; set; } = 4096;

    /// <summary>How many recent feed events an edge keeps to relay to the edges below it.</summary>
    public int RelayEvents { get; set; } = 100_000;

    public void Validate()
    {
        if (CapacityBytes < 1024 * 1024) throw new ArgumentOutOfRangeException(nameof(CapacityBytes), CapacityBytes, "The cache needs at least 1 MiB.");
        if (MaxEntryBytes < 0 || MaxEntryBytes > CapacityBytes / 10) throw new ArgumentOutOfRangeException(nameof(MaxEntryBytes), MaxEntryBytes, "An entry may take at most a tenth of the cache.");
        if (MaxStaleness < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(MaxStaleness), MaxStaleness, "Must not be negative.");
        if (FeedHeartbeat <= TimeSpan.Zero || FeedHealthTimeout < FeedHeartbeat * 2)
            throw new ArgumentOutOfRangeException(nameof(FeedHealthTimeout), FeedHealthTimeout, "Must be at least twice the feed heartbeat.");
        if (MaxListPages < 0) throw new ArgumentOutOfRangeException(nameof(MaxListPages), MaxListPages, "Must not be negative.");
        if (RelayEvents < 0) throw new ArgumentOutOfRangeException(nameof(RelayEvents), RelayEvents, "Must not be negative.");
    }
}
