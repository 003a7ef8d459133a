using System.Text.Json;

namespace Kivi.Client;

/// <summary>How fresh a read must be.</summary>
public sealed class KvReadOptions
{
    /// <summary>A shared instance asking for a strong read.</summary>
    public static readonly KvReadOptions StrongRead = new() { Consistency = KvConsistency.Strong };

    /// <summary>
    /// How long a cached copy may go unconfirmed before it is fetched again (Workers KV's <c>cacheTtl</c>;
    /// at least 30 s; default 60 s). With the feed connected, cached copies stay confirmed continuously.
    /// </summary>
    public TimeSpan? CacheTtl { get; init; }

    /// <summary><see cref="KvConsistency.Strong"/> reads the origin, past every cache.</summary>
    public KvConsistency Consistency { get; init; }
}

/// <summary>Eventual (cached, the default) or strong (the origin's committed state).</summary>
public enum KvConsistency
{
    Eventual,
    Strong,
}

/// <summary>Expiration, metadata and conditions of a put.</summary>
public sealed class KvPutOptions
{
    /// <summary>When the entry expires (whole seconds; at least 60 s ahead).</summary>
    public DateTimeOffset? Expiration { get; init; }

    /// <summary>How long the entry lives (whole seconds, at least 60 s); wins over <see cref="Expiration"/> as in Workers KV.</summary>
    public TimeSpan? ExpirationTtl { get; init; }

    /// <summary>Any JSON, up to 1,024 bytes serialized.</summary>
    public JsonElement? Metadata { get; init; }

    /// <summary>Write only if the entry is at this version (<c>If-Match</c>); a mismatch is a 412.</summary>
    public long? IfVersion { get; init; }

    /// <summary>Write only if the key does not exist (<c>If-None-Match: *</c>); an existing key is a 412.</summary>
    public bool IfAbsent { get; init; }
}

/// <summary>A page request of <see cref="IKvNamespace.ListAsync"/>.</summary>
public sealed class KvListOptions
{
    public string? Prefix { get; init; }

    /// <summary>Keys per page, 1 to 1,000 (the default).</summary>
    public int? Limit { get; init; }

    /// <summary>The <see cref="KvListResult.Cursor"/> of the previous page.</summary>
    public string? Cursor { get; init; }

    public TimeSpan? CacheTtl { get; init; }

    public KvConsistency Consistency { get; init; }
}
