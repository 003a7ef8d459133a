using System.Security.Cryptography;
using Kivi.Caching;
using Kivi.Core.Access;
using Kivi.Core.Storage;
using Kivi.Protocol;
using Kivi.Server.Rest;
using Kivi.Storage.Postgres;
using Kivi.Storage.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kivi.Server.Roles;

/// <summary>
/// A node with a store (SQLite in the data folder, or PostgreSQL): <see cref="KiviRole.Single"/> reads through the
/// edge's cache in process, <see cref="KiviRole.Origin"/> reads the store. The store's capabilities are registered
/// each as its own service, so an endpoint asks for the one it uses.
/// </summary>
internal sealed class StoreRole(KiviRole role) : IRoleModule
{
    private string? _adminToken; // read or generated in StartAsync, before the first request

    public KiviRole Role => role;

    public void AddServices(WebApplicationBuilder builder, KiviOptions options)
    {
        string dataFolder = Path.GetFullPath(options.Data);
        Directory.CreateDirectory(dataFolder);
        var services = builder.Services;

        // Created by the container, so that disposing the app drains the writer and closes the store.
        bool postgres = !string.IsNullOrEmpty(options.Postgres);
        services.AddSingleton<IKvEngine>(_ => postgres
            ? new PostgresKvEngine(new PostgresKvOptions { ConnectionString = options.Postgres! })
            : new SqliteKvEngine(new SqliteKvOptions
            {
                DatabasePath = Path.Combine(dataFolder, "kivi.db"),
                Durable = options.Durable,
                CheckpointPages = options.CheckpointPages,
                IntegrityCheck = KiviOptionsValidator.Integrity(options),
            }));
        services.AddSingleton<IKvChangeLog>(sp => sp.GetRequiredService<IKvEngine>());
        services.AddSingleton<Feed.InlinedValues>();
        services.AddSingleton<IKvCatalog>(sp => sp.GetRequiredService<IKvEngine>());
        services.AddSingleton<IKvSnapshots>(sp => sp.GetRequiredService<IKvEngine>());
        services.AddSingleton<IKvMaintenance>(sp => sp.GetRequiredService<IKvEngine>());
        services.AddSingleton<IKvUsage>(sp => sp.GetRequiredService<IKvEngine>());
        var rules = Quotas.QuotaRule.Parse(options.Quota);
        services.AddSingleton(sp => new Quotas.StoreQuotas(rules, sp.GetRequiredService<IKvEngine>(), sp.GetRequiredService<TimeProvider>(),
            options.KeyWriteLimit ? new Quotas.KeyWriteLimiter(sp.GetRequiredService<TimeProvider>(), options.KeyWriteInterval) : null));
        services.AddSingleton<IQuotaGate>(sp => sp.GetRequiredService<Quotas.StoreQuotas>());
        services.AddSingleton<Usage.IUsageSink>(sp => new Usage.StoreUsageSink(sp.GetRequiredService<IKvEngine>(), sp.GetRequiredService<Quotas.StoreQuotas>(),
            options.Metrics ? sp.GetRequiredService<Telemetry.StorageGauges>() : null));
        services.AddHealthChecks().AddCheck<Health.StoreCheck>("store");

        // Over PostgreSQL other origins may write too, and only the change log would tell this process: the
        // single node's in-process cache (kept current by its own writes) is for a store it alone writes.
        if (role == KiviRole.Single && !postgres)
        {
            // The same cache an edge runs, in process: hot reads are memory lookups.
            var cacheOptions = new KvCacheOptions { CapacityBytes = options.CacheBytes };
            cacheOptions.Validate();
            services.AddSingleton(sp => new KvCache(
                new Local.EngineUpstream(sp.GetRequiredService<IKvEngine>(), sp.GetRequiredService<TimeProvider>(), cacheOptions.MaxEntryBytes),
                cacheOptions, sp.GetRequiredService<TimeProvider>()));
            services.AddSingleton(sp => new FeedFollower(sp.GetRequiredService<KvCache>(),
                new Local.EngineFeed(sp.GetRequiredService<IKvEngine>(), cacheOptions.FeedHeartbeat),
                sp.GetRequiredService<TimeProvider>()));
            services.AddHostedService<Edge.FeedFollowerService>();
            services.AddSingleton(sp => new Local.CachingEngine(sp.GetRequiredService<IKvEngine>(), sp.GetRequiredService<KvCache>(), sp.GetRequiredService<KvLimits>()));
            services.AddSingleton<IKvReads>(sp => sp.GetRequiredService<Local.CachingEngine>());
            services.AddSingleton<IKvWrites>(sp => sp.GetRequiredService<Local.CachingEngine>());
            services.AddSingleton<IHotReads>(sp => sp.GetRequiredService<Local.CachingEngine>());
        }
        else
        {
            services.AddSingleton<IKvReads>(sp => sp.GetRequiredService<IKvEngine>());
            services.AddSingleton<IKvWrites>(sp => sp.GetRequiredService<IKvEngine>());
        }
        services.AddSingleton<TokenService>();
        services.AddHostedService<MaintenanceService>();
        services.AddSingleton(sp => new TokenAuthenticator(_adminToken!, sp.GetRequiredService<TokenService>()));
        services.AddSingleton<ICallerAuthenticator>(sp => sp.GetRequiredService<TokenAuthenticator>());
    }

    public async Task StartAsync(WebApplication app, KiviOptions options)
    {
        string dataFolder = Path.GetFullPath(options.Data);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Kivi");
        var engine = app.Services.GetRequiredService<IKvEngine>();
        await engine.InitializeAsync(CancellationToken.None);
        Log.Store(logger, engine.Description);
        if (engine.Warning is { } warning) Log.StoreWarning(logger, warning);
        _adminToken = ResolveAdminToken(options, dataFolder, logger);
        string accountId = await ResolveAccountAsync(engine, options);
        Log.Started(logger, options.Role, dataFolder, accountId);
    }

    public void MapFeed(RouteGroupBuilder api, RouteGroupBuilder namespaces)
    {
        Feed.ChangeFeedEndpoint.Map(api);
        Feed.ChangeFeedEndpoint.MapWatch(namespaces);
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
