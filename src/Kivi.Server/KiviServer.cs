using Kivi.Core;
using Kivi.Core.Storage;
using Kivi.Protocol;
using Kivi.Server.Rest;
using Kivi.Server.Roles;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
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
        // Configuration is read once, at start. Left on, reload-on-change watches the content root (the working directory)
        // recursively, and the data folder (./.kivi by default) is inside it: every write to the store's log woke a file
        // watcher thread, which cost a durable PUT a fifth of its throughput.
        var builder = WebApplication.CreateBuilder([.. args, "--hostBuilder:reloadConfigOnChange=false"]);
        // Quiet by default: a node logs how it started and its problems, not every request. Inserted first, so
        // appsettings, the environment and the command line (--Logging:LogLevel:...) still override it.
        ((IConfigurationBuilder)builder.Configuration).Sources.Insert(0, new MemoryConfigurationSource { InitialData = LoggingDefaults });
        AddKiviConfiguration(builder.Configuration, args);
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
            builder.WebHost.UseUrls(KiviOptions.DefaultUrl);
        KiviOptions options;
        try
        {
            options = builder.Configuration.GetSection("Kivi").Get<KiviOptions>() ?? new KiviOptions();
        }
        catch (InvalidOperationException e)
        {
            throw new KiviOptionsException($"A setting has a value of the wrong kind: {e.Message} {e.InnerException?.Message}", e);
        }
        // Checked before anything is built (the role decides what is), and again by the Options pattern at start.
        KiviOptionsValidator.ThrowIfInvalid(options);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            // Above Kivi's own limits, so that RequestLimits answers oversize targets and headers with Cloudflare's envelope.
            k.Limits.MaxRequestLineSize = RequestLimits.MaxTargetBytes * 8;
            k.Limits.MaxRequestHeadersTotalSize = RequestLimits.MaxHeaderBytes * 4;
            k.Limits.MaxRequestBodySize = 30_000_000; // raised per request by the bulk and value endpoints
            // HTTPS listeners (--urls https://…) take the PEM certificate and key given; without them Kestrel's own defaults apply.
            if (options.TlsCert is { Length: > 0 } tlsCert && options.TlsKey is { Length: > 0 } tlsKey)
                k.ConfigureHttpsDefaults(https => https.ServerCertificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(tlsCert, tlsKey));
        });
        if (options.LogFormat == "json") builder.Logging.AddJsonConsole(o => { o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ"; o.UseUtcTimestamp = true; });
        else builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        if (options.RequestLog) builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Information);
        builder.Services.AddOptions<KiviOptions>().Bind(builder.Configuration.GetSection("Kivi")).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<KiviOptions>, KiviOptionsValidator>();

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(KvLimits.WorkersKv with
        {
            MinCacheTtlSeconds = options.MinCacheTtl,
            DefaultCacheTtlSeconds = options.DefaultCacheTtl,
            MinExpirationTtlSeconds = Math.Max(1, options.MinExpirationTtl),
        });
        builder.Services.AddSingleton(new Usage.UsageMeter(options.Usage));
        builder.Services.AddSingleton<Usage.EdgeRegistry>();
        builder.Services.AddSingleton<IUsageMeter>(sp => sp.GetRequiredService<Usage.UsageMeter>());
        builder.Services.AddSingleton(sp => new Usage.UsageReporter(sp.GetRequiredService<Usage.UsageMeter>(), sp.GetRequiredService<Usage.IUsageSink>(),
            sp.GetRequiredService<TimeProvider>(), options, sp.GetRequiredService<ILogger<Usage.UsageReporter>>()));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Usage.UsageReporter>());
        builder.Services.AddSingleton<KvService>();
        builder.Services.AddSingleton<HotReadCounter>();
        builder.Services.AddSingleton<FaultLog>();
        builder.Services.AddSingleton(new UploadBudget(options.UploadMemory, TimeSpan.FromMinutes(1)));

        IRoleModule role = KiviOptionsValidator.Role(options) switch
        {
            KiviRole.Edge => new EdgeRole(),
            var store => new StoreRole(store),
        };
        Telemetry.KiviTelemetry.Add(builder, options);
        builder.Services.AddHealthChecks();
        builder.Services.AddOpenApi(o => o.AddOperationTransformer(OpenApiMarks.TransformAsync));
        Dashboard.DashboardSetup.Add(builder, options);
        role.AddServices(builder, options);
        var app = builder.Build();
        await role.StartAsync(app, options);
        KiviApi.Map(app, role, options);
        return app;
    }

    /// <summary>
    /// The log levels a node starts with: Kivi's own lines and the listening addresses at Information, ASP.NET Core's
    /// per-request lines (four a request at Information) only at Warning. <c>--request-log</c> turns the request lines on.
    /// </summary>
    private static readonly Dictionary<string, string?> LoggingDefaults = new()
    {
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Microsoft"] = "Warning",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Information",
        ["Logging:LogLevel:System.Net.Http"] = "Warning",
        // Its keys live in the data folder (mode 0700) beside the admin token; the "no XML encryptor" warning would repeat that at every first start.
        ["Logging:LogLevel:Microsoft.AspNetCore.DataProtection"] = "Error",
    };

    /// <summary>Maps --data, KIVI_DATA and the like onto the "Kivi" configuration section; the command line wins.</summary>
    private static void AddKiviConfiguration(ConfigurationManager configuration, string[] args)
    {
        var fromEnvironment = new Dictionary<string, string?>();
        foreach (var (_, variable, key) in KiviOptions.Sources)
            if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value) fromEnvironment[key] = value;
        configuration.AddInMemoryCollection(fromEnvironment);
        configuration.AddCommandLine(args, KiviOptions.Sources.ToDictionary(s => s.Switch, s => s.Key));
    }
}
