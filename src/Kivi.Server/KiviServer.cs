using System.Security.Cryptography;
using Kivi.Core;
using Kivi.Core.Storage;
using Kivi.Protocol;
using Kivi.Caching;
using Kivi.Client;
using Kivi.Server.Rest;
using Kivi.Storage.Postgres;
using Kivi.Storage.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kivi.Server;

/// <summary>Builds a Kivi node: configuration, store, bootstrap (admin token, account) and the HTTP API.</summary>
public static class KiviServer
{
    /// <summary>Creates the node, opening its store; call RunAsync or StartAsync on the result.</summary>
    public static async Task<WebApplication> CreateAsync(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        AddKiviConfiguration(builder.Configuration, args);
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
            builder.WebHost.UseUrls(KiviOptions.DefaultUrl);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            // Above Kivi's own limits, so that RequestLimits answers oversize targets and headers with Cloudflare's envelope.
            k.Limits.MaxRequestLineSize = RequestLimits.MaxTargetBytes * 8;
            k.Limits.MaxRequestHeadersTotalSize = RequestLimits.MaxHeaderBytes * 4;
            k.Limits.MaxRequestBodySize = 30_000_000; // raised per request by the bulk and value endpoints
        });
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });

        KiviOptions options;
        try
        {
            options = builder.Configuration.GetSection("Kivi").Get<KiviOptions>() ?? new KiviOptions();
        }
        catch (InvalidOperationException e)
        {
            throw new KiviOptionsException($"A setting has a value of the wrong kind: {e.Message} {e.InnerException?.Message}", e);
        }
        var integrity = options.IntegrityCheck switch
        {
            "quick" => IntegrityCheck.Quick,
            "full" => IntegrityCheck.Full,
            "off" => IntegrityCheck.Off,
            var other => throw new KiviOptionsException($"--integrity-check must be quick, full or off, not \"{other}\"."),
        };
        builder.Services.Configure<KiviOptions>(builder.Configuration.GetSection("Kivi"));
        if (options.MinCacheTtl < 1 || options.DefaultCacheTtl < options.MinCacheTtl)
            throw new KiviOptionsException($"--min-cache-ttl must be at least 1 and --default-cache-ttl at least --min-cache-ttl (got {options.MinCacheTtl} and {options.DefaultCacheTtl}).");
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(KvLimits.WorkersKv with
        {
            MinCacheTtlSeconds = options.MinCacheTtl,
            DefaultCacheTtlSeconds = options.DefaultCacheTtl,
            MinExpirationTtlSeconds = Math.Max(1, options.MinExpirationTtl),
        });
        builder.Services.AddSingleton<KvService>();
        builder.Services.AddSingleton<HotReadCounter>();
        builder.Services.AddSingleton<FaultLog>();
        if (options.UploadMemory < 1024 * 1024) throw new KiviOptionsException($"--upload-memory must be at least 1048576 bytes (1 MiB), not {options.UploadMemory}.");
        builder.Services.AddSingleton(new UploadBudget(options.UploadMemory, TimeSpan.FromMinutes(1)));
        return options.Role switch
        {
            "single" or "origin" => await BuildOriginAsync(builder, options, integrity),
            "edge" => BuildEdge(builder, options),
            _ => throw new KiviOptionsException($"--role must be single, origin or edge, not \"{options.Role}\"."),
        };
    }

    private static async Task<WebApplication> BuildOriginAsync(WebApplicationBuilder builder, KiviOptions options, IntegrityCheck integrity)
    {
        string dataFolder = Path.GetFullPath(options.Data);
        Directory.CreateDirectory(dataFolder);

        // Created by the container, so that disposing the app drains the writer and closes the store.
        bool postgres = !string.IsNullOrEmpty(options.Postgres);
        builder.Services.AddSingleton<IKvEngine>(_ => postgres
            ? new PostgresKvEngine(new PostgresKvOptions { ConnectionString = options.Postgres! })
            : new SqliteKvEngine(new SqliteKvOptions
            {
                DatabasePath = Path.Combine(dataFolder, "kivi.db"),
                Durable = options.Durable,
                CheckpointPages = options.CheckpointPages,
                IntegrityCheck = integrity,
            }));
        // The store's capabilities, each its own service: endpoints ask for the one they use.
        builder.Services.AddSingleton<IKvChangeLog>(sp => sp.GetRequiredService<IKvEngine>());
        builder.Services.AddSingleton<IKvCatalog>(sp => sp.GetRequiredService<IKvEngine>());
        builder.Services.AddSingleton<IKvSnapshots>(sp => sp.GetRequiredService<IKvEngine>());
        builder.Services.AddSingleton<IKvMaintenance>(sp => sp.GetRequiredService<IKvEngine>());
        // Over PostgreSQL other origins may write too, and only the change log would tell this process: the
        // single node's in-process cache (kept current by its own writes) is for a store it alone writes.
        if (options.Role == "single" && !postgres)
        {
            // The same cache an edge runs, in process, fed by the store's own change log: hot reads are memory lookups.
            var cacheOptions = new KvCacheOptions { CapacityBytes = options.CacheBytes };
            cacheOptions.Validate();
            builder.Services.AddSingleton(sp => new KvCache(
                new Local.EngineUpstream(sp.GetRequiredService<IKvEngine>(), sp.GetRequiredService<TimeProvider>(), cacheOptions.MaxEntryBytes),
                cacheOptions, sp.GetRequiredService<TimeProvider>()));
            builder.Services.AddSingleton(sp => new FeedFollower(sp.GetRequiredService<KvCache>(),
                new Local.EngineFeed(sp.GetRequiredService<IKvEngine>(), cacheOptions.FeedHeartbeat),
                sp.GetRequiredService<TimeProvider>()));
            builder.Services.AddHostedService<Edge.FeedFollowerService>();
            builder.Services.AddSingleton(sp => new Local.CachingEngine(sp.GetRequiredService<IKvEngine>(), sp.GetRequiredService<KvCache>(), sp.GetRequiredService<KvLimits>()));
            builder.Services.AddSingleton<IKvReads>(sp => sp.GetRequiredService<Local.CachingEngine>());
            builder.Services.AddSingleton<IKvWrites>(sp => sp.GetRequiredService<Local.CachingEngine>());
            builder.Services.AddSingleton<IHotReads>(sp => sp.GetRequiredService<Local.CachingEngine>());
        }
        else
        {
            builder.Services.AddSingleton<IKvReads>(sp => sp.GetRequiredService<IKvEngine>());
            builder.Services.AddSingleton<IKvWrites>(sp => sp.GetRequiredService<IKvEngine>());
        }
        builder.Services.AddSingleton<Kivi.Core.Access.TokenService>();
        builder.Services.AddHostedService<MaintenanceService>();
        string? adminToken = null; // read or generated once the logger exists, before the first request
        builder.Services.AddSingleton(sp => new TokenAuthenticator(adminToken!, sp.GetRequiredService<Kivi.Core.Access.TokenService>()));
        builder.Services.AddSingleton<ICallerAuthenticator>(sp => sp.GetRequiredService<TokenAuthenticator>());

        var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Kivi");
        var engine = app.Services.GetRequiredService<IKvEngine>();
        await engine.InitializeAsync(CancellationToken.None);
        Log.Store(logger, engine.Description);
        if (engine.Warning is { } warning) Log.StoreWarning(logger, warning);
        adminToken = ResolveAdminToken(options, dataFolder, logger);
        string accountId = await ResolveAccountAsync(engine, options);
        Log.Started(logger, options.Role, dataFolder, accountId);

        MapApi(app, app.Services.GetRequiredService<ICallerAuthenticator>(), edge: null);
        return app;
    }

    /// <summary>
    /// An edge: no store of its own; reads from its cache, filled from and kept current by its upstream's
    /// feed; everything else forwarded upstream.
    /// </summary>
    private static WebApplication BuildEdge(WebApplicationBuilder builder, KiviOptions options)
    {
        var upstreams = (options.Upstream ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(u => Uri.TryCreate(u, UriKind.Absolute, out var url) && url.Scheme is "http" or "https"
                ? new Uri(url.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/")
                : throw new KiviOptionsException($"--upstream must be the http(s) URL of the origin or of another edge, or several such URLs separated by commas (got \"{u}\")."))
            .ToArray();
        if (upstreams.Length == 0)
            throw new KiviOptionsException("--role edge needs --upstream with the http(s) URL of its origin or of another edge (several, comma-separated, to fail over between origins).");
        if (string.IsNullOrEmpty(options.UpstreamToken))
            throw new KiviOptionsException("--role edge needs --upstream-token: a replication (or admin) token of the upstream, for its change feed and cache fills.");
        var cacheOptions = new KvCacheOptions
        {
            CapacityBytes = options.CacheBytes,
            MaxStaleness = options.MaxStale,
            FeedHeartbeat = TimeSpan.FromMilliseconds(500),
            FeedHealthTimeout = TimeSpan.FromSeconds(3),
        };
        cacheOptions.Validate();
        var baseAddress = upstreams[0];
        var failover = new Edge.UpstreamFailover(upstreams);
        var http = new HttpClient(failover)
        { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
        failover.InnerHandler = new SocketsHttpHandler
        {
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            AllowAutoRedirect = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
            UseCookies = false,
            ConnectTimeout = TimeSpan.FromSeconds(5),
        };
        var upstream = new KiviUpstream(http, options.UpstreamToken, cacheOptions, options.UpstreamTimeout);
        builder.Services.AddSingleton(upstream);
        builder.Services.AddSingleton(sp => new KvCache(upstream, cacheOptions, sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton(sp => new FeedRelay(sp.GetRequiredService<KvCache>()));
        builder.Services.AddSingleton(sp =>
        {
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("Kivi.Feed");
            return new FeedFollower(sp.GetRequiredService<KvCache>(), upstream, sp.GetRequiredService<TimeProvider>(), e => Log.FeedStopped(logger, baseAddress, e.Message));
        });
        builder.Services.AddHostedService<Edge.FeedFollowerService>();
        builder.Services.AddSingleton(new Edge.EdgeUpstreamApi(upstream));
        builder.Services.AddSingleton<Edge.EdgeEngine>();
        builder.Services.AddSingleton<IKvReads>(sp => sp.GetRequiredService<Edge.EdgeEngine>());
        builder.Services.AddSingleton<IHotReads>(sp => sp.GetRequiredService<Edge.EdgeEngine>());
        builder.Services.AddSingleton<ICallerAuthenticator>(sp => new Edge.EdgeAuthenticator(sp.GetRequiredService<Edge.EdgeUpstreamApi>(), sp.GetRequiredService<TimeProvider>(), options.TokenCacheTtl, options.TokenOutageGrace));
        builder.Services.AddSingleton(sp => new Edge.EdgeProxy(http, sp.GetRequiredService<KvCache>(), sp.GetRequiredService<ILogger<Edge.EdgeProxy>>(), sp.GetRequiredService<FaultLog>()));

        var app = builder.Build();
        failover.Logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Kivi.Upstream");
        var edgeCache = app.Services.GetRequiredService<KvCache>();
        var feedLogger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Kivi.Feed");
        edgeCache.ResetOccurred += reason => Log.CacheReset(feedLogger, edgeCache.Resets, reason);
        _ = app.Services.GetRequiredService<FeedRelay>(); // relays from the first feed line on
        Log.EdgeStarted(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Kivi"), baseAddress, cacheOptions.CapacityBytes, options.DefaultCacheTtl, options.MaxStale);
        MapApi(app, app.Services.GetRequiredService<ICallerAuthenticator>(), app.Services.GetRequiredService<Edge.EdgeProxy>());
        return app;
    }

    private static void MapApi(WebApplication app, ICallerAuthenticator tokens, Edge.EdgeProxy? edge)
    {
        app.UseMiddleware<RequestLimits>();
        if (app.Services.GetService<IHotReads>() is not null)
        {
            app.UseMiddleware<HotReadPath>();
            app.UseRouting(); // after the hot path: a hot read never pays for route matching
        }
        app.MapGet("/healthz", () => Results.Text("ok"));
        // workerd's external KV service: every request names its namespace in an injected header.
        var bindingHandler = ActivatorUtilities.CreateInstance<Binding.BindingHandler>(app.Services, tokens);
        if (edge is not null)
            app.MapWhen(c => c.Request.Headers.ContainsKey(KiviHeaders.Namespace)
                    && (!(HttpMethods.IsGet(c.Request.Method) || HttpMethods.IsPost(c.Request.Method)) || ReadRequest.AsksStrong(c.Request)),
                upstream => upstream.Run(edge.ForwardBindingAsync)); // writes and strong reads

        app.MapWhen(c => c.Request.Headers.ContainsKey(KiviHeaders.Namespace), binding => binding.Run(bindingHandler.InvokeAsync));
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/client/v4"), api =>
        {
            api.UseMiddleware<ErrorMiddleware>();
            api.UseMiddleware<DotSegmentGuard>();
            if (edge is not null) api.UseWhen(c => !Edge.EdgeProxy.ServesLocally(c), forwarded => forwarded.Run(edge.ForwardRestAsync));
            api.UseMiddleware<AuthMiddleware>(tokens);
            api.UseStatusCodePages(async status =>
            {
                var response = status.HttpContext.Response;
                if (response.HasStarted || response.ContentLength is > 0 || response.ContentType is not null) return;
                int code = response.StatusCode;
                await Envelope.ErrorAsync(status.HttpContext, code, KvErrorCode.NoRoute,
                    code == StatusCodes.Status405MethodNotAllowed ? "Method not allowed for this route" : "No route for the URI");
            });
        });
        var api = app.MapGroup("/client/v4");
        if (edge is null)
        {
            // An edge forwards accounts and tokens upstream untouched.
            AccountEndpoints.Map(api);
            TokenEndpoints.Map(api);
            LimitsEndpoint.Map(api); // an edge forwards it: the writes it names are the upstream's to check
            Feed.ChangeFeedEndpoint.Map(api);
            Feed.ReplicationEndpoints.Map(api);
            ExportEndpoints.MapSnapshot(api);
        }
        else Edge.EdgeFeedEndpoint.Map(api);
        var namespaces = api.MapGroup("/accounts/{account_id}/storage/kv/namespaces");
        NamespaceEndpoints.Map(namespaces);
        ValueEndpoints.Map(namespaces);
        BulkEndpoints.Map(namespaces);
        if (edge is null)
        {
            // An edge forwards these to its upstream.
            Feed.ChangeFeedEndpoint.MapWatch(namespaces);
            ExportEndpoints.MapExport(namespaces);
        }
    }

    /// <summary>Maps --data, KIVI_DATA and the like onto the "Kivi" configuration section; the command line wins.</summary>
    private static void AddKiviConfiguration(ConfigurationManager configuration, string[] args)
    {
        var fromEnvironment = new Dictionary<string, string?>();
        foreach (var (_, variable, key) in KiviOptions.Sources)
            if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value) fromEnvironment[key] = value;
        configuration.AddInMemoryCollection(fromEnvironment);
        configuration.AddCommandLine(args, KiviOptions.Sources.ToDictionary(s => s.Switch, s => s.Key));
    }

    /// <summary>The admin token: configured, or read from the data folder, or generated there (mode 0600) on first start.</summary>
    private static string ResolveAdminToken(KiviOptions options, string dataFolder, ILogger logger)
    {
        if (!string.IsNullOrEmpty(options.AdminToken)) return options.AdminToken;
        string path = Path.Combine(dataFolder, "admin-token");
        if (File.Exists(path))
        {
            Log.AdminTokenRead(logger, path);
            return File.ReadAllText(path).Trim();
        }
        string token = "kivi_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var writer = new StreamWriter(path, System.Text.Encoding.ASCII, fileOptions)) writer.Write(token + "\n");
        Log.AdminTokenGenerated(logger, path);
        Console.WriteLine($"Admin token written to {path}");
        return token;
    }

    /// <summary>The configured account, or the store's first, or a new one.</summary>
    private static async Task<string> ResolveAccountAsync(IKvEngine engine, KiviOptions options)
    {
        string? id = options.AccountId;
        if (string.IsNullOrEmpty(id))
        {
            var existing = await engine.ListAccountsAsync(CancellationToken.None);
            id = existing.Count > 0 ? existing[0] : Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        }
        if (!await engine.AccountExistsAsync(id, CancellationToken.None))
            await engine.WriteAsync(new EnsureAccount(id, "Kivi"));
        return id;
    }
}
