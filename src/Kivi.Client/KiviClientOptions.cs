using Kivi.Protocol;

namespace Kivi.Client;

/// <summary>Where a Kivi server is and how to talk to it.</summary>
public sealed class KiviClientOptions
{
    /// <summary>The server's root URL (an origin, a single node, or an edge), e.g. http://127.0.0.1:8787/.</summary>
    public Uri? Url { get; set; }

    /// <summary>A bearer token: a scoped token for the namespaces used, or the admin token.</summary>
    public string? Token { get; set; }

    /// <summary>The account the namespaces belong to; when null, the one account the token sees.</summary>
    public string? AccountId { get; set; }

    /// <summary>How long one call may take, retries included (default 30 s).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries of an idempotent call after a network failure, a timeout or a 5xx/429 (default 3; 0 turns retries off).</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>The first retry's delay; later ones back off exponentially with jitter (default 100 ms).</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The limits checked before a request is sent: Workers KV's unless the server was started with others.</summary>
    public KvLimits Limits { get; set; } = new();

    internal IEnumerable<string> Problems()
    {
        if (Url is null) yield return "Kivi:Url is required: the server's root URL, e.g. http://127.0.0.1:8787/.";
        else if (!Url.IsAbsoluteUri || (Url.Scheme != Uri.UriSchemeHttp && Url.Scheme != Uri.UriSchemeHttps)) yield return $"Kivi:Url must be an absolute http or https URL, not \"{Url}\".";
        if (string.IsNullOrWhiteSpace(Token)) yield return "Kivi:Token is required: a scoped token, or the admin token printed at the server's first start.";
        if (RequestTimeout <= TimeSpan.Zero) yield return "Kivi:RequestTimeout must be positive.";
        if (MaxRetries is < 0 or > 10) yield return $"Kivi:MaxRetries must be 0 to 10, not {MaxRetries}.";
        if (RetryDelay < TimeSpan.Zero) yield return "Kivi:RetryDelay must not be negative.";
    }
}

/// <summary>One namespace binding: which namespace, and how the in-process cache keeps it.</summary>
public sealed class KvNamespaceOptions
{
    /// <summary>The namespace's id (32 hexadecimal characters).</summary>
    public string? NamespaceId { get; set; }

    /// <summary>
    /// Keep an in-process cache fed by the namespace's change feed (default true): a hot read is then a
    /// memory lookup, kept current within the feed's lag, under the same contract as an edge.
    /// </summary>
    public bool Cache { get; set; } = true;

    /// <summary>The cache's byte bound (default 64 MiB).</summary>
    public long CacheCapacityBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Values above this are read through, never cached (default 1 MiB).</summary>
    public int MaxCachedValueBytes { get; set; } = 1024 * 1024;

    /// <summary>The cacheTtl of reads that give none (default 60 s, at least 30 s).</summary>
    public TimeSpan DefaultCacheTtl { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a copy may be served while the server is unreachable (stale if error; default 1 h; zero turns it off).</summary>
    public TimeSpan MaxStaleness { get; set; } = TimeSpan.FromHours(1);

    internal IEnumerable<string> Problems(string binding)
    {
        if (string.IsNullOrWhiteSpace(NamespaceId) || NamespaceId.Length != 32 || !NamespaceId.All(char.IsAsciiHexDigit))
            yield return $"The Kivi namespace binding \"{binding}\" needs NamespaceId: the 32 hexadecimal characters of the namespace's id, not \"{NamespaceId}\".";
        if (CacheCapacityBytes < 1024 * 1024) yield return $"The Kivi namespace binding \"{binding}\": CacheCapacityBytes must be at least 1 MiB.";
        if (MaxCachedValueBytes < 1 || MaxCachedValueBytes > CacheCapacityBytes / 10) yield return $"The Kivi namespace binding \"{binding}\": MaxCachedValueBytes must be positive and at most a tenth of CacheCapacityBytes.";
        if (DefaultCacheTtl < TimeSpan.FromSeconds(KvLimits.WorkersKv.MinCacheTtlSeconds))
            yield return $"The Kivi namespace binding \"{binding}\": DefaultCacheTtl must be at least {KvLimits.WorkersKv.MinCacheTtlSeconds} s, as Workers KV's cacheTtl.";
        if (MaxStaleness < TimeSpan.Zero) yield return $"The Kivi namespace binding \"{binding}\": MaxStaleness must not be negative.";
    }
}
