using Kivi.Caching;
using Kivi.Client;
using Kivi.Core.Storage;
using Kivi.Server.Edge;
using Kivi.Server.Rest;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kivi.Server.Roles;

/// <summary>
/// An edge: no store of its own. It reads through its cache (<see cref="EdgeEngine"/>: <see cref="IKvReads"/> only),
/// filled from and kept current by its upstream's feed, serves that feed to the tier below, and forwards
/// everything else upstream (<see cref="EdgeProxy"/>, by each endpoint's <see cref="KvOperation"/>).
/// </summary>
internal sealed class EdgeRole : IRoleModule
{
    private Uri[] _upstreams = [];

    public KiviRole Role => KiviRole.Edge;

    public void AddServices(WebApplicationBuilder builder, KiviOptions options)
    {
        _upstreams = KiviOptionsValidator.Upstreams(options);
        var cacheOptions = new KvCacheOptions
        {
            CapacityBytes = options.CacheBytes,
            MaxStaleness = options.MaxStale,
            FeedHeartbeat = TimeSpan.FromMilliseconds(500),
            FeedHealthTimeout = TimeSpan.FromSeconds(3),
        };
        cacheOptions.Validate();
        var baseAddress = _upstreams[0];
        var failover = new UpstreamFailover(_upstreams);
        var http = new HttpClient(failover) { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
        failover.InnerHandler = new SocketsHttpHandler
        {
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            AllowAutoRedirect = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
            UseCookies = false,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            SslOptions = string.IsNullOrEmpty(options.UpstreamCa) ? new System.Net.Security.SslClientAuthenticationOptions() : UpstreamTrust.Options(options.UpstreamCa),
        };
        var upstream = new KiviUpstream(http, options.UpstreamToken!, cacheOptions, options.UpstreamTimeout);
        var services = builder.Services;
        services.AddSingleton(failover); // for its logger, once there is one
        services.AddSingleton(upstream);
        services.AddSingleton(sp => new KvCache(upstream, cacheOptions, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new FeedRelay(sp.GetRequiredService<KvCache>()));
        services.AddSingleton(sp =>
        {
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("Kivi.Feed");
            return new FeedFollower(sp.GetRequiredService<KvCache>(), upstream, sp.GetRequiredService<TimeProvider>(), outage => Log.FeedOutage(logger, baseAddress, outage));
        });
        services.AddHostedService<FeedFollowerService>();
        services.AddSingleton(new EdgeUpstreamApi(upstream));
        var outbox = new Usage.UsageOutbox(Path.GetFullPath(options.Data), KiviOptionsValidator.NodeName(options, builder.Configuration[Microsoft.AspNetCore.Hosting.WebHostDefaults.ServerUrlsKey]));
        services.AddSingleton(outbox);
        services.AddSingleton(sp => new Quotas.EdgeQuotas(sp.GetRequiredService<TimeProvider>()));
        services.AddHealthChecks()
            .AddCheck("upstream", new Health.UpstreamCheck(http))
            .Add(new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckRegistration("feed",
                sp => new Health.FeedCheck(sp.GetRequiredService<KvCache>(), options.ReadyMaxLag), null, null));
        services.AddSingleton<IQuotaGate>(sp => sp.GetRequiredService<Quotas.EdgeQuotas>());
        services.AddSingleton<Usage.IUsageSink>(sp => new Usage.EdgeUsageSink(http, options.UpstreamToken!, outbox, options.UpstreamTimeout, sp.GetRequiredService<Quotas.EdgeQuotas>(), sp.GetRequiredService<KvCache>()));
        services.AddSingleton<EdgeEngine>();
        services.AddSingleton<IKvReads>(sp => sp.GetRequiredService<EdgeEngine>());
        services.AddSingleton<IHotReads>(sp => sp.GetRequiredService<EdgeEngine>());
        services.AddSingleton<ICallerAuthenticator>(sp => new EdgeAuthenticator(sp.GetRequiredService<EdgeUpstreamApi>(), sp.GetRequiredService<TimeProvider>(), options.TokenCacheTtl, options.TokenOutageGrace));
        services.AddSingleton(sp => new EdgeProxy(http, sp.GetRequiredService<KvCache>(), sp.GetRequiredService<ILogger<EdgeProxy>>(), sp.GetRequiredService<FaultLog>()));
    }

    public Task StartAsync(WebApplication app, KiviOptions options)
    {
        var loggers = app.Services.GetRequiredService<ILoggerFactory>();
        app.Services.GetRequiredService<UpstreamFailover>().Logger = loggers.CreateLogger("Kivi.Upstream");
        var cache = app.Services.GetRequiredService<KvCache>();
        var feedLogger = loggers.CreateLogger("Kivi.Feed");
        cache.ResetOccurred += reason => Log.CacheReset(feedLogger, cache.Resets, reason);
        _ = app.Services.GetRequiredService<FeedRelay>(); // relays from the first feed line on
        Log.EdgeStarted(loggers.CreateLogger("Kivi"), _upstreams[0], cache.Options.CapacityBytes, options.DefaultCacheTtl, options.MaxStale);
        return Task.CompletedTask;
    }

    public void MapFeed(RouteGroupBuilder api, RouteGroupBuilder namespaces)
    {
        EdgeFeedEndpoint.Map(api);
        EdgeFeedEndpoint.MapWatch(namespaces);
    }
}
