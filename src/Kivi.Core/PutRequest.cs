namespace Kivi.Core;

/// <summary>A put as a client sent it: raw expiration texts and raw metadata JSON, validated by <see cref="KvService"/>.</summary>
public sealed record PutRequest(string? Key, ValueBuffer Value, string? Expiration = null, string? ExpirationTtl = null, ReadOnlyMemory<byte> MetadataJson = default);
