namespace Kivi.Client.Caching;

/// <summary>How <see cref="KiviDistributedCache"/> stores entries.</summary>
public sealed class KiviDistributedCacheOptions
{
    /// <summary>Prepended to every cache key, so one namespace can hold other data too (default none).</summary>
    public string KeyPrefix { get; set; } = "";
}
