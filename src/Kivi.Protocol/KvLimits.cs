namespace Kivi.Protocol;

/// <summary>The limits Kivi enforces; every default is Workers KV's.</summary>
public sealed record KvLimits
{
    /// <summary>The limits of Cloudflare Workers KV.</summary>
    public static KvLimits WorkersKv { get; } = new();

    public int MaxKeyBytes { get; init; } = 512;
    public long MaxValueBytes { get; init; } = 26_214_400;
    public int MaxMetadataBytes { get; init; } = 1024;
    public int MinExpirationTtlSeconds { get; init; } = 60;
    public int MinCacheTtlSeconds { get; init; } = 30;
    public int DefaultCacheTtlSeconds { get; init; } = 60;
    public int MaxListLimit { get; init; } = 1000;
    /// <summary>The REST keys list takes limit 10 to 1000 (Cloudflare's OpenAPI); the binding takes 1 to 1000.</summary>
    public int MinRestListLimit { get; init; } = 10;
    public int MaxBulkWritePairs { get; init; } = 10_000;
    public long MaxBulkWriteBytes { get; init; } = 100_000_000;
    public int MaxBulkDeleteKeys { get; init; } = 10_000;
    public int MaxBulkGetKeys { get; init; } = 100;
    public long MaxBulkGetResponseBytes { get; init; } = 25_000_000;
    public int MaxNamespaceTitleLength { get; init; } = 512;
    public int MaxNamespacesPerAccount { get; init; } = 1000;
    /// <summary>The latest absolute expiration accepted: 9999-12-31T23:59:59Z, so every expiration is a valid date.</summary>
    public long MaxExpirationEpochSeconds { get; init; } = 253_402_300_799;
}
