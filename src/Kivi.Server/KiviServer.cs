using System.Security.Cryptography;
using Kivi.Core;
using Kivi.Core.Storage;
using Kivi.Protocol;
using Kivi.Server.Rest;
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
            k.Limits.MaxRequestBodySize = 30_000_000; // raised per request by the bulk and value endpoints
        });
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });

        var options = builder.Configuration.GetSection("Kivi").Get<KiviOptions>() ?? new KiviOptions();
        builder.Services.Configure<KiviOptions>(builder.Configuration.GetSection("Kivi"));
        if (options.Role != "single")
            throw new InvalidOperationException($"--role {options.Role} is not available yet: this release runs a single node (--role single), which is origin and store in one process.");
        string dataFolder = Path.GetFullPath(options.Data);
        Directory.CreateDirectory(dataFolder);

        // Created by the container, so that disposing the app drains the writer and closes the store.
        builder.Services.AddSingleton(_ => new SqliteKvEngine(new SqliteKvOptions
        {
            DatabasePath = Path.Combine(dataFolder, "kivi.db"),
            Durable = options.Durable,
            CheckpointPages = options.CheckpointPages,
        }));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(KvLimits.WorkersKv);
        builder.Services.AddSingleton<IKvEngine>(sp => sp.GetRequiredService<SqliteKvEngine>());
        builder.Services.AddSingleton<IKvMaintenance>(sp => sp.GetRequiredService<SqliteKvEngine>());
        builder.Services.AddSingleton<KvService>();
        builder.Services.AddSingleton<Kivi.Core.Access.TokenService>();
        builder.Services.AddHostedService<MaintenanceService>();

        var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Kivi");
        var engine = app.Services.GetRequiredService<SqliteKvEngine>();
        await engine.InitializeAsync(CancellationToken.None);
        string adminToken = ResolveAdminToken(options, dataFolder, logger);
        string accountId = await ResolveAccountAsync(engine, options);
        Log.Started(logger, options.Role, dataFolder, accountId);

        MapApi(app, new TokenAuthenticator(adminToken, app.Services.GetRequiredService<Kivi.Core.Access.TokenService>()));
        return app;
    }

    private static void MapApi(WebApplication app, TokenAuthenticator tokens)
    {
        app.MapGet("/healthz", () => Results.Text("ok"));
        // workerd's external KV service: every request names its namespace in an injected header.
        var bindingHandler = ActivatorUtilities.CreateInstance<Binding.BindingHandler>(app.Services, tokens);
        app.MapWhen(c => c.Request.Headers.ContainsKey(KiviHeaders.Namespace), binding => binding.Run(bindingHandler.InvokeAsync));
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/client/v4"), api =>
        {
            api.UseMiddleware<ErrorMiddleware>();
            api.UseMiddleware<AuthMiddleware>(tokens);
            api.UseMiddleware<DotSegmentGuard>();
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
        AccountEndpoints.Map(api);
        TokenEndpoints.Map(api);
        Feed.ChangeFeedEndpoint.Map(api);
        var namespaces = api.MapGroup("/accounts/{account_id}/storage/kv/namespaces");
        NamespaceEndpoints.Map(namespaces);
        ValueEndpoints.Map(namespaces);
        BulkEndpoints.Map(namespaces);
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
