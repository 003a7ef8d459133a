namespace Kivi.Protocol;

/// <summary>Stable error codes in the REST envelope: Cloudflare's where one is known, never reused for another meaning.</summary>
public static class KvErrorCode
{
    /// <summary>Malformed request: bad JSON, multipart, query parameter, cursor or encoding.</summary>
    public const int InvalidRequest = 10001;
    /// <summary>Route or account does not exist (Cloudflare's 7003).</summary>
    public const int NoRoute = 7003;
    /// <summary>Missing, unknown or insufficient token (Cloudflare's 10000).</summary>
    public const int AuthenticationError = 10000;
    /// <summary>Key not found (Cloudflare's 10009).</summary>
    public const int KeyNotFound = 10009;
    /// <summary>Too many items in a bulk request (Cloudflare's 10012).</summary>
    public const int TooManyBulkItems = 10012;
    /// <summary>Namespace not found (Cloudflare's 10013).</summary>
    public const int NamespaceNotFound = 10013;
    /// <summary>A namespace with this title already exists in the account (Cloudflare's 10014).</summary>
    public const int NamespaceTitleExists = 10014;
    /// <summary>Invalid namespace title, or the account's namespace limit is reached.</summary>
    public const int InvalidNamespace = 10019;
    /// <summary>Invalid key name: empty, "." or "..", not UTF-8, or too long.</summary>
    public const int InvalidKey = 10022;
    /// <summary>Invalid expiration or expiration_ttl.</summary>
    public const int InvalidExpiration = 10023;
    /// <summary>Value, or a request body, over its limit.</summary>
    public const int ValueTooLarge = 10024;
    /// <summary>Metadata that is not JSON or is over its limit.</summary>
    public const int InvalidMetadata = 10025;
    /// <summary>Invalid list limit, cursor or bulk get type.</summary>
    public const int InvalidListOrBulkOption = 10026;
    /// <summary>A bulk get answer whose values are not JSON, when JSON was asked for.</summary>
    public const int NotJson = 10027;
    /// <summary>A conditional write whose precondition failed (Kivi's addition).</summary>
    public const int PreconditionFailed = 10050;

    /// <summary>Workers KV's: a daily (or, in Kivi, monthly or storage) quota reached.</summary>
    public const int QuotaExceeded = 10048;

    /// <summary>Kivi's: a second write to one key within a second, with the per-key write limit on (Workers KV answers 429 too).</summary>
    public const int KeyWriteRateLimited = 10051;
    /// <summary>No token with that id in the account.</summary>
    public const int TokenNotFound = 10060;
    /// <summary>An unexpected server fault.</summary>
    public const int InternalError = 10500;

    /// <summary>Kivi's own: an edge could not reach its upstream and held nothing it could serve instead.</summary>
    public const int UpstreamUnavailable = 10503;

    /// <summary>Kivi's own: the store's disk (or its configured size) is full; writes are refused, reads still served.</summary>
    public const int StorageFull = 10507;
}
