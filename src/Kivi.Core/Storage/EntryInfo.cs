namespace Kivi.Core.Storage;

/// <summary>An entry without its value: what a list or a metadata read returns.</summary>
public sealed record EntryInfo(byte[] Key, string? Metadata, long? Expiration, long Version);
