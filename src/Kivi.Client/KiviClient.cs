using System.Collections.Concurrent;
using System.Text.Json;
using Kivi.Caching;
using Kivi.Protocol;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace Kivi.Client;

/// <summary>
/// A connection to a Kivi server and the namespaces used through it. Made by <c>services.AddKivi(...)</c>
/// or by hand (<c>new KiviClient(options)</c>); disposing it stops every namespace's feed.
/// </summary>
public sealed class KiviClient : IAsyncDisposable
{
    internal const string HttpClientName = "Kivi";
    internal const string FeedHttpClientName = "Kivi.Feed";
    internal const string RefusalHint = " Check that the token (Kivi:Token) may use this namespace and that Kivi:AccountId is its account.";

    private readonly KiviClientOptions _options;
    private readonly HttpClient _http;
    private readonly HttpClient _feedHttp;
    private readonly bool _ownsHttp;
    private readonly TimeProvider _time;
    private readonly ConcurrentBag<KiviNamespace> _namespaces = [];
    private readonly SemaphoreSlim _accountLock = new(1, 1);
    private string? _accountId;

    /// <summary>A client with its own connections and the SDK's retry pipeline.</summary>
    public KiviClient(KiviClientOptions options, TimeProvider? time = null)
        : this(options, new HttpClient(Resilient(options), disposeHandler: true), new HttpClient(Handler(), disposeHandler: true), time ?? TimeProvider.System, ownsHttp: true)
    {
    }

    internal KiviClient(KiviClientOptions options, HttpClient http, HttpClient feedHttp, TimeProvider time, bool ownsHttp)
    {
        var problems = options.Problems().ToArray();
        if (problems.Length > 0) throw new ArgumentException(string.Join(" ", problems), nameof(options));
        _options = options;
        _http = http;
        _feedHttp = feedHttp;
        foreach (var client in new[] { http, feedHttp })
        {
            client.BaseAddress ??= options.Url;
            client.Timeout = Timeout.InfiniteTimeSpan; // each call has its own deadline; the feed has none
        }
        _ownsHttp = ownsHttp;
        _time = time;
        _accountId = options.AccountId;
    }

    /// <summary>A namespace with the default binding options (in-process cache on).</summary>
    public IKvNamespace GetNamespace(string namespaceId) => GetNamespace(new KvNamespaceOptions { NamespaceId = namespaceId });

    /// <summary>A namespace; each call makes a new binding with its own cache and feed, disposed with this client.</summary>
    public IKvNamespace GetNamespace(KvNamespaceOptions options, string binding = "namespace")
    {
        var problems = options.Problems(binding).ToArray();
        if (problems.Length > 0) throw new ArgumentException(string.Join(" ", problems), nameof(options));
        var cacheOptions = new KvCacheOptions
        {
            CapacityBytes = options.CacheCapacityBytes,
            MaxEntryBytes = options.MaxCachedValueBytes,
            MaxStaleness = options.MaxStaleness,
            RelayEvents = 0,
        };
        var upstream = new KiviUpstream(_http, _options.Token!, cacheOptions, _options.RequestTimeout, _feedHttp, refusalHint: RefusalHint);
        var cache = options.Cache ? new KvCache(upstream, cacheOptions, _time) : null;
        var ns = new KiviNamespace(options.NamespaceId!.ToLowerInvariant(), upstream, cache, _options.Limits, options.DefaultCacheTtl, _time, GetAccountIdAsync);
        _namespaces.Add(ns);
        return ns;
    }

    /// <summary>The account the namespaces belong to: as configured, or the one account the token sees.</summary>
    public async Task<string> GetAccountIdAsync(CancellationToken cancellationToken = default)
    {
        if (_accountId is { } known) return known;
        await _accountLock.WaitAsync(cancellationToken);
        try
        {
            if (_accountId is { } found) return found;
            var upstream = new KiviUpstream(_http, _options.Token!, new KvCacheOptions(), _options.RequestTimeout, refusalHint: RefusalHint);
            JsonDocument? doc;
            try
            {
                doc = await upstream.GetEnvelopeAsync("client/v4/accounts", "account lookup", cancellationToken);
            }
            catch (UpstreamUnavailableException e)
            {
                throw new KvException(503, KvErrorCode.UpstreamUnavailable, e.Message, e);
            }
            catch (UpstreamRefusedException e)
            {
                throw new KvException(e.StatusCode, e.Code == 0 ? KvErrorCode.AuthenticationError : e.Code, e.Message, e);
            }
            using (doc)
            {
                var ids = doc?.RootElement.GetProperty("result").EnumerateArray().Select(a => a.GetProperty("id").GetString()!).ToArray() ?? [];
                if (ids.Length != 1)
                    throw new KvException(400, KvErrorCode.InvalidRequest, ids.Length == 0
                        ? "The token sees no account: check Kivi:Token."
                        : $"The token sees {ids.Length} accounts: set Kivi:AccountId to one of {string.Join(", ", ids)}.");
                return _accountId = ids[0];
            }
        }
        finally
        {
            _accountLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        while (_namespaces.TryTake(out var ns)) await ns.DisposeAsync();
        if (_ownsHttp)
        {
            _http.Dispose();
            _feedHttp.Dispose();
        }
        _accountLock.Dispose();
    }

    /// <summary>Connections are recycled every few minutes, so a long-lived client follows DNS changes.</summary>
    internal static SocketsHttpHandler Handler() => new() { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };

    private static ResilienceHandler Resilient(KiviClientOptions options)
    {
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage>();
        KiviResilience.Configure(builder, options);
        return new ResilienceHandler(builder.Build()) { InnerHandler = Handler() };
    }
}
