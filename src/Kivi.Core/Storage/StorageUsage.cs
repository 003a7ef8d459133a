namespace Kivi.Core.Storage;

/// <summary>What a namespace stores now: keys, and bytes of keys, values and metadata.</summary>
public sealed record StorageUsage(string NamespaceId, long Keys, long Bytes);
