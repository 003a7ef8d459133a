using System.Diagnostics;

namespace Kivi.Server.Telemetry;

/// <summary>
/// The server's spans: one per KV operation a node answers, named and tagged as workerd names its own KV spans
/// (<c>kv_get</c>, <c>kv_put</c>…, <c>db.system.name</c>, <c>db.operation.name</c>, <c>cloudflare.kv.*</c>). The storage
/// layer has its own source (<c>Kivi.Storage</c>: group commits); HTTP client and server spans come from OpenTelemetry's
/// instrumentation. Nothing listens unless an OTLP endpoint is configured, and then only do spans cost anything.
/// </summary>
internal static class KvSpans
{
    public const string SourceName = "Kivi.Server";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>Starts the span of <paramref name="operation"/> (null when nobody listens).</summary>
    public static Activity? Start(string spanName, string operation)
    {
        if (!Source.HasListeners()) return null;
        var span = Source.StartActivity(spanName, ActivityKind.Internal);
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag("db.system.name", "cloudflare-kv");
            span.SetTag("db.operation.name", operation);
            span.SetTag("cloudflare.binding.type", "KV");
        }
        return span;
    }
}
