namespace Kivi.Caching;

/// <summary>
/// The answer to a read: the entry (absent when <see cref="CachedEntry.IsPresent"/> is false), or a
/// read-through <see cref="Body"/> for a value too large to cache, and how stale it is when it was
/// served past its cacheTtl because the upstream failed.
/// </summary>
public readonly record struct CacheRead(CachedEntry Entry, UpstreamRead? Body, TimeSpan? Stale)
{
    public bool Found => Entry.IsPresent || Body is not null;
}
