using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Kivi.Server.Health;

/// <summary>
/// <c>/readyz</c>: whether the node can serve, each check named with what it found (200 ready, 503 not), for load
/// balancers and orchestrators; no token needed and nothing of the data shown. <c>/healthz</c> stays liveness only.
/// </summary>
internal static class Readiness
{
    public static void Map(WebApplication app) => app.MapHealthChecks("/readyz", new HealthCheckOptions
    {
        ResponseWriter = WriteAsync,
        ResultStatusCodes = { [HealthStatus.Healthy] = 200, [HealthStatus.Degraded] = 200, [HealthStatus.Unhealthy] = 503 },
    });

    private static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        await using var w = new Utf8JsonWriter(context.Response.Body);
        w.WriteStartObject();
        w.WriteString("status", report.Status == HealthStatus.Unhealthy ? "not ready" : "ready");
        w.WriteStartObject("checks");
        foreach (var (name, entry) in report.Entries)
        {
            w.WriteStartObject(name);
            w.WriteString("status", entry.Status == HealthStatus.Unhealthy ? "failing" : "ok");
            w.WriteString("detail", entry.Description);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
