namespace Kivi.Caching;

/// <summary>A cached list page: its keys, whether more follow, and what it reflects.</summary>
public sealed record CachedList(IReadOnlyList<ListedKey> Keys, bool More, long AsOf, long KnownAt, long? FirstExpiration);
