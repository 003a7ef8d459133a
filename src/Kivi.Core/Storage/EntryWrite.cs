namespace Kivi.Core.Storage;

/// <summary>One validated put: key bytes, value, compact metadata JSON and absolute expiration.</summary>
public sealed record EntryWrite(byte[] Key, ValueBuffer Value, string? Metadata, long? Expiration);
