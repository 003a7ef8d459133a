using Kivi.Server.Rest;
using Microsoft.AspNetCore.Http;

namespace Kivi.Server.Telemetry;

/// <summary>
/// Around every API request once it is routed: counts it in <c>kivi.operations</c> by its <see cref="KvOperation"/> and
/// result, and, when tracing is on, makes its span (with the key, prefix, limit and cache_ttl asked for, and the size answered).
/// </summary>
internal sealed class OperationTelemetry(RequestDelegate next, KiviMetrics metrics)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<KvOperation>() is not { } operation)
        {
            await next(context);
            return;
        }
        using var span = KvSpans.Start(operation.SpanName, operation.MetricName);
        if (span is { IsAllDataRequested: true })
        {
            var request = context.Request;
            if (request.RouteValues.TryGetValue("namespace_id", out var ns)) span.SetTag("cloudflare.kv.namespace_id", ns);
            if (request.RouteValues.TryGetValue("key", out var key)) span.SetTag("cloudflare.kv.query.keys", key);
            foreach (var (parameter, tag) in QueryTags)
                if (request.Query.TryGetValue(parameter, out var value)) span.SetTag(tag, value.ToString());
        }
        try
        {
            await next(context);
        }
        finally
        {
            int status = context.Response.StatusCode;
            metrics.Operation(operation.MetricName, status);
            if (span is not null)
            {
                span.SetTag("http.response.status_code", status);
                if (context.Response.ContentLength is { } size) span.SetTag("cloudflare.kv.response.size", size);
                if (status >= 500) span.SetStatus(System.Diagnostics.ActivityStatusCode.Error);
            }
        }
    }

    private static readonly (string Parameter, string Tag)[] QueryTags =
    [
        ("prefix", "cloudflare.kv.query.prefix"),
        ("limit", "cloudflare.kv.query.limit"),
        ("cursor", "cloudflare.kv.query.cursor"),
        ("cache_ttl", "cloudflare.kv.query.cache_ttl"),
        ("expiration", "cloudflare.kv.query.expiration"),
        ("expiration_ttl", "cloudflare.kv.query.expiration_ttl"),
    ];
}
