namespace Kivi.Core;

/// <summary>
/// A put as a client sent it: raw expiration texts, raw metadata JSON and the raw <c>If-Match</c> /
/// <c>If-None-Match</c> header values, validated by <see cref="KvService"/>.
/// </summary>
public sealed record PutRequest(string? Key, ValueBuffer Value, string? Expiration = null, string? ExpirationTtl = null, ReadOnlyMemory<byte> MetadataJson = default,
    string? IfMatch = null, string? IfNoneMatch = null);
