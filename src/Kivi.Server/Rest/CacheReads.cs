using Kivi.Protocol;
using Kivi.Caching;
using Kivi.Core.Storage;

namespace Kivi.Server.Rest;

/// <summary>A cache's answer in the storage waist's terms, the same for an edge and for a single node.</summary>
internal static class CacheReads
{
    /// <summary>The value, or null when the key is absent or expired at <paramref name="now"/>.</summary>
    public static StoredValue? ToStoredValue(CacheRead read, long now)
    {
        if (read.Body is { } body) return new StoredValue(body.Body!, body.Length, body, body.Metadata, body.Expiration, body.Version);
        var e = read.Entry;
        return e.IsPresent && !e.IsExpiredAt(now) ? new StoredValue(e.Value, e.Metadata, e.Expiration, e.Version) : null;
    }

    /// <summary>The entry without its value (a read-through body is released unread).</summary>
    public static async ValueTask<EntryInfo?> ToEntryInfoAsync(CacheRead read, byte[] key, long now)
    {
        if (read.Body is { } body)
        {
            await body.DisposeAsync();
            return new EntryInfo(key, body.Metadata, body.Expiration, body.Version);
        }
        var e = read.Entry;
        return e.IsPresent && !e.IsExpiredAt(now) ? new EntryInfo(key, e.Metadata, e.Expiration, e.Version) : null;
    }

    /// <summary>A cached page as the waist's rows, leaving out any key expired at <paramref name="now"/>.</summary>
    public static List<EntryInfo> ToRows(CachedList page, long now) =>
        page.Keys.Where(k => !Expiration.IsExpired(k.Expiration, now)).Select(k => new EntryInfo(k.Key, k.Metadata, k.Expiration, k.Version)).ToList();
}
