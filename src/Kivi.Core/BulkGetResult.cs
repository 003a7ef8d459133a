namespace Kivi.Core;

/// <summary>One key of a bulk get: null <see cref="Value"/> bytes when the key is missing.</summary>
/// <param name="Key">The key as requested.</param>
/// <param name="Value">The raw value (UTF-8 text, or a JSON document when JSON was asked for).</param>
public sealed record BulkGetResult(string Key, ReadOnlyMemory<byte>? Value, string? Metadata, long? Expiration, long Version);
