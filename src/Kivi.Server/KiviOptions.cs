namespace Kivi.Server;

/// <summary>Server settings, from the command line, <c>KIVI_*</c> environment variables or the "Kivi" configuration section.</summary>
public sealed class KiviOptions
{
    /// <summary>The folder holding the database and the generated admin token.</summary>
    public string Data { get; set; } = ".kivi";

    /// <summary>The admin token; generated into the data folder when not set.</summary>
    public string? AdminToken { get; set; }

    /// <summary>The account to serve; generated on first start when not set.</summary>
    public string? AccountId { get; set; }

    /// <summary>
    /// An Npgsql connection string: the store is that PostgreSQL database instead of SQLite in the data
    /// folder, and any number of origins may share it. Unset: SQLite.
    /// </summary>
    public string? Postgres { get; set; }

    /// <summary>single (default), origin or edge.</summary>
    public string Role { get; set; } = "single";

    /// <summary>How often expired rows are swept out (they are invisible from the second they expire regardless).</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>WAL pages between SQLite checkpoints: larger is faster for writes, smaller bounds the tail latency a checkpoint adds.</summary>
    public int CheckpointPages { get; set; } = 1000;

    /// <summary>How many of the newest changes the change log keeps; a feed reader further behind is told to reset.</summary>
    public long ChangeRetention { get; set; } = 1_000_000;

    /// <summary>How often an idle change feed sends a heartbeat carrying the head version.</summary>
    public TimeSpan FeedHeartbeat { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Edge: the URL of the origin (or of another edge, for tiers); several, comma-separated, to fail over between origins over one PostgreSQL.</summary>
    public string? Upstream { get; set; }

    /// <summary>Edge: a replication (or admin) token of the upstream, for the feed and for filling the cache.</summary>
    public string? UpstreamToken { get; set; }

    /// <summary>Edge: memory for cached entries, in bytes (values, keys, metadata and a per-entry overhead).</summary>
    public long CacheBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Edge: how long past cacheTtl a cached value may be served, marked Kivi-Stale, while the upstream is unreachable.</summary>
    public TimeSpan MaxStale { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Edge: how long an answer about a client's token is remembered (so how long a revoked token still reads at an edge).</summary>
    public TimeSpan TokenCacheTtl { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Edge: while the upstream is unreachable, how long after it was last confirmed a client's token is
    /// still honoured (so a token revoked just before an outage works at most this long). Unset: twelve
    /// times <see cref="TokenCacheTtl"/> (a minute by default).
    /// </summary>
    public TimeSpan? TokenOutageGrace { get; set; }

    /// <summary>Edge: how long a request to the upstream may take before it counts as failed.</summary>
    public TimeSpan UpstreamTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The cacheTtl of a read that names none, in seconds (Workers KV: 60).</summary>
    public int DefaultCacheTtl { get; set; } = 60;

    /// <summary>The smallest cacheTtl a read may ask for, in seconds (Workers KV: 30).</summary>
    public int MinCacheTtl { get; set; } = 30;

    /// <summary>The smallest expiration_ttl a write may ask for, in seconds (Workers KV: 60; lower it only to test expiry).</summary>
    public int MinExpirationTtl { get; set; } = 60;

    /// <summary>
    /// The check a SQLite store gets before it is opened: quick (default; reads every page, seconds per GB),
    /// full (also matches every index entry), or off. A damaged store is refused with exit code 3.
    /// </summary>
    public string IntegrityCheck { get; set; } = "quick";

    /// <summary>
    /// Memory for request bodies being read at once, in bytes (values are held whole until committed): larger
    /// uploads wait their turn, and one waiting longer than a minute is answered 503.
    /// </summary>
    public long UploadMemory { get; set; } = 128L * 1024 * 1024;

    /// <summary>Logs every request (ASP.NET Core's request start and finish lines); off by default: a node logs its start and its problems.</summary>
    public bool RequestLog { get; set; }

    /// <summary>The console log's format: "simple" (one line per event, the default) or "json" (one JSON object per line, for log shippers).</summary>
    public string LogFormat { get; set; } = "simple";

    /// <summary>How often the reads and lists a node served are added to the usage table (an edge: sent to its upstream). Also at every UTC hour's end and at shutdown.</summary>
    public TimeSpan UsageInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// This node's name: an edge reports its usage under it, and keeps unsent reports in <c>usage-outbox-NAME.json</c> in
    /// its data folder, so it must stay the same across restarts and differ between edges. Default: the host name and the port.
    /// </summary>
    public string? NodeName { get; set; }

    /// <summary>
    /// Quotas, off by default: rules <c>account|namespace:ID|*:day|month:KIND=N,...</c> (KIND reads, writes, deletes, lists,
    /// storage_keys, storage_bytes) separated by ';'. An operation over quota is answered 429 with Workers KV's code 10048.
    /// Set on the store; its edges learn them from it.
    /// </summary>
    public string? Quota { get; set; }

    /// <summary>Workers KV's limit of one write a second to the same key (429 beyond it); off by default.</summary>
    public bool KeyWriteLimit { get; set; }

    /// <summary>With <see cref="KeyWriteLimit"/>: how long after a write to a key the next is refused (Workers KV: one second).</summary>
    public TimeSpan KeyWriteInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Counts reads, writes, deletes, lists and storage per namespace and hour (see docs/operations.md). On by default.</summary>
    public bool Usage { get; set; } = true;

    /// <summary>Serves Prometheus metrics at <c>/metrics</c> (to the admin token, a metrics token, or <see cref="MetricsAllow"/>). On by default.</summary>
    public bool Metrics { get; set; } = true;

    /// <summary>Addresses or networks that may scrape <c>/metrics</c> without a token (127.0.0.1, 10.0.0.0/8), comma-separated.</summary>
    public string? MetricsAllow { get; set; }

    /// <summary>
    /// An OTLP/HTTP endpoint (http://collector:4318) to export traces to. Unset (and no OTEL_EXPORTER_OTLP_ENDPOINT): no
    /// tracing at all, so spans cost nothing.
    /// </summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>Edge: how far behind its upstream the feed may be for <c>/readyz</c> to say ready.</summary>
    public TimeSpan ReadyMaxLag { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A PEM certificate (chain) for HTTPS listeners (<c>--urls https://…</c>); with <see cref="TlsKey"/>.</summary>
    public string? TlsCert { get; set; }

    /// <summary>The PEM private key of <see cref="TlsCert"/>.</summary>
    public string? TlsKey { get; set; }

    /// <summary>Edge: a PEM CA certificate; the upstream's certificate must chain to it (and name the upstream's host), or the edge refuses it.</summary>
    public string? UpstreamCa { get; set; }

    /// <summary>False only for throwaway test stores: commits without fsync.</summary>
    public bool Durable { get; set; } = true;

    /// <summary>The address used when no --urls or ASPNETCORE_URLS is given.</summary>
    public const string DefaultUrl = "http://127.0.0.1:8787";

    /// <summary>Command-line switches and environment variables, mapped to configuration keys.</summary>
    internal static readonly (string Switch, string Environment, string Key)[] Sources =
    [
        ("--data", "KIVI_DATA", "Kivi:Data"),
        ("--admin-token", "KIVI_ADMIN_TOKEN", "Kivi:AdminToken"),
        ("--account-id", "KIVI_ACCOUNT_ID", "Kivi:AccountId"),
        ("--role", "KIVI_ROLE", "Kivi:Role"),
        ("--postgres", "KIVI_POSTGRES", "Kivi:Postgres"),
        ("--sweep-interval", "KIVI_SWEEP_INTERVAL", "Kivi:SweepInterval"),
        ("--durable", "KIVI_DURABLE", "Kivi:Durable"),
        ("--integrity-check", "KIVI_INTEGRITY_CHECK", "Kivi:IntegrityCheck"),
        ("--upload-memory", "KIVI_UPLOAD_MEMORY", "Kivi:UploadMemory"),
        ("--request-log", "KIVI_REQUEST_LOG", "Kivi:RequestLog"),
        ("--log-format", "KIVI_LOG_FORMAT", "Kivi:LogFormat"),
        ("--quota", "KIVI_QUOTA", "Kivi:Quota"),
        ("--key-write-limit", "KIVI_KEY_WRITE_LIMIT", "Kivi:KeyWriteLimit"),
        ("--key-write-interval", "KIVI_KEY_WRITE_INTERVAL", "Kivi:KeyWriteInterval"),
        ("--usage", "KIVI_USAGE", "Kivi:Usage"),
        ("--metrics", "KIVI_METRICS", "Kivi:Metrics"),
        ("--metrics-allow", "KIVI_METRICS_ALLOW", "Kivi:MetricsAllow"),
        ("--otlp-endpoint", "KIVI_OTLP_ENDPOINT", "Kivi:OtlpEndpoint"),
        ("--ready-max-lag", "KIVI_READY_MAX_LAG", "Kivi:ReadyMaxLag"),
        ("--tls-cert", "KIVI_TLS_CERT", "Kivi:TlsCert"),
        ("--tls-key", "KIVI_TLS_KEY", "Kivi:TlsKey"),
        ("--upstream-ca", "KIVI_UPSTREAM_CA", "Kivi:UpstreamCa"),
        ("--usage-interval", "KIVI_USAGE_INTERVAL", "Kivi:UsageInterval"),
        ("--node-name", "KIVI_NODE_NAME", "Kivi:NodeName"),
        ("--checkpoint-pages", "KIVI_CHECKPOINT_PAGES", "Kivi:CheckpointPages"),
        ("--change-retention", "KIVI_CHANGE_RETENTION", "Kivi:ChangeRetention"),
        ("--feed-heartbeat", "KIVI_FEED_HEARTBEAT", "Kivi:FeedHeartbeat"),
        ("--upstream", "KIVI_UPSTREAM", "Kivi:Upstream"),
        ("--upstream-token", "KIVI_UPSTREAM_TOKEN", "Kivi:UpstreamToken"),
        ("--cache-bytes", "KIVI_CACHE_BYTES", "Kivi:CacheBytes"),
        ("--max-stale", "KIVI_MAX_STALE", "Kivi:MaxStale"),
        ("--token-cache-ttl", "KIVI_TOKEN_CACHE_TTL", "Kivi:TokenCacheTtl"),
        ("--token-outage-grace", "KIVI_TOKEN_OUTAGE_GRACE", "Kivi:TokenOutageGrace"),
        ("--upstream-timeout", "KIVI_UPSTREAM_TIMEOUT", "Kivi:UpstreamTimeout"),
        ("--default-cache-ttl", "KIVI_DEFAULT_CACHE_TTL", "Kivi:DefaultCacheTtl"),
        ("--min-cache-ttl", "KIVI_MIN_CACHE_TTL", "Kivi:MinCacheTtl"),
        ("--min-expiration-ttl", "KIVI_MIN_EXPIRATION_TTL", "Kivi:MinExpirationTtl"),
    ];
}
