using Kivi.Core.Storage;
using Kivi.Server.Rest;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Kivi.Server.Telemetry;

/// <summary>
/// OpenTelemetry for a node: metrics (ASP.NET Core's HTTP server meters and Kivi's) served to Prometheus at
/// <c>/metrics</c>; traces exported over OTLP/HTTP only when an endpoint is configured.
/// </summary>
internal static class KiviTelemetry
{
    public static void Add(WebApplicationBuilder builder, KiviOptions options)
    {
        builder.Services.AddSingleton<StorageGauges>();
        builder.Services.AddSingleton<KiviMetrics>();
        string? otlp = OtlpEndpoint(options);
        if (!options.Metrics && otlp is null) return;
        var telemetry = builder.Services.AddOpenTelemetry().ConfigureResource(r => r.AddService("kivi", serviceInstanceId: KiviOptionsValidator.NodeName(options, builder.Configuration[Microsoft.AspNetCore.Hosting.WebHostDefaults.ServerUrlsKey])));
        if (options.Metrics)
            telemetry.WithMetrics(m => m
                .AddMeter(KiviMetrics.MeterName, StoreMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
                .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        if (options.Metrics)
            // A listener by meter name hears every meter of that name in the process: when several nodes share one (tests,
            // a host embedding Kivi) each must show its own. Meters made by another node's IMeterFactory are dropped.
            builder.Services.ConfigureOpenTelemetryMeterProvider((services, m) =>
            {
                var mine = services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
                m.AddView(instrument => instrument.Meter.Scope is System.Diagnostics.Metrics.IMeterFactory owner && !ReferenceEquals(owner, mine)
                    ? MetricStreamConfiguration.Drop : null);
            });
        if (otlp is not null)
            telemetry.WithTracing(t => t
                .AddSource(KvSpans.SourceName, StoreMetrics.MeterName)
                .AddAspNetCoreInstrumentation(o => o.Filter = c => c.Request.Path != "/metrics" && c.Request.Path != "/readyz" && c.Request.Path != "/healthz")
                .AddHttpClientInstrumentation()
                .AddOtlpExporter(o =>
                {
                    o.Endpoint = new Uri(otlp.TrimEnd('/') + "/v1/traces");
                    o.Protocol = OtlpExportProtocol.HttpProtobuf;
                }));
    }

    /// <summary>Maps <c>/metrics</c> (before anything else, so a scrape never pays for the API's pipeline) and registers Kivi's instruments.</summary>
    public static void Map(WebApplication app, KiviOptions options)
    {
        _ = app.Services.GetRequiredService<KiviMetrics>(); // observable instruments exist before the first scrape
        if (!options.Metrics) return;
        var access = new MetricsAccess(app.Services.GetRequiredService<ICallerAuthenticator>(), MetricsAccess.Parse(options.MetricsAllow));
        app.UseOpenTelemetryPrometheusScrapingEndpoint(meterProvider: null, predicate: c => c.Request.Path == "/metrics", path: null,
            configureBranchedPipeline: branch => branch.Use((context, next) => access.InvokeAsync(context, () => next(context))), optionsName: null);
    }

    private static string? OtlpEndpoint(KiviOptions options) =>
        !string.IsNullOrEmpty(options.OtlpEndpoint) ? options.OtlpEndpoint
        : Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT") is { Length: > 0 } fromEnvironment ? fromEnvironment : null;
}
