namespace Kivi.Caching;

/// <summary>One page of keys from upstream; <see cref="More"/> says whether keys follow the last one.</summary>
public sealed record UpstreamList(IReadOnlyList<ListedKey> Keys, bool More, long AsOf);

/// <summary>A listed key with its metadata, expiration and version.</summary>
public sealed record ListedKey(byte[] Key, string? Metadata, long? Expiration, long Version);
