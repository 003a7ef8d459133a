using Kivi.Protocol;
using Kivi.Server.Edge;
using Kivi.Server.Rest;
using Kivi.Server.Roles;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Kivi.Server;

/// <summary>
/// The HTTP pipeline and the route table, the same for every role. Each endpoint is mapped once, with a
/// <see cref="KvOperation"/> saying what an edge does with it; on an edge, one step after routing acts on it
/// (<see cref="EdgeProxy.ForwardOrServeAsync"/>). Only the change feed differs by role (<see cref="IRoleModule.MapFeed"/>).
/// </summary>
internal static class KiviApi
{
    public const string Root = "/client/v4";
    public const string Namespaces = "/accounts/{account_id}/storage/kv/namespaces";

    public static void Map(WebApplication app, IRoleModule role, KiviOptions options)
    {
        var tokens = app.Services.GetRequiredService<ICallerAuthenticator>();
        var edge = app.Services.GetService<EdgeProxy>();
        var metrics = app.Services.GetRequiredService<Telemetry.KiviMetrics>();
        Telemetry.KiviTelemetry.Map(app, options);
        app.UseMiddleware<RequestLimits>();
        if (app.Services.GetService<IHotReads>() is not null) app.UseMiddleware<HotReadPath>(); // before routing: a hot read never pays for it
        app.UseRouting();
        app.MapGet("/healthz", () => Results.Text("ok"));
        Health.Readiness.Map(app);
        Dashboard.DashboardSetup.Map(app);
        app.MapOpenApi("/openapi/{documentName}.json");

        // workerd's external KV service: every request names its namespace in an injected header.
        var binding = ActivatorUtilities.CreateInstance<Binding.BindingHandler>(app.Services, tokens);
        app.MapWhen(c => c.Request.Headers.ContainsKey(KiviHeaders.Namespace), branch => branch.Run(async c =>
        {
            var operation = Binding.BindingEndpoints.Operation(c);
            using var span = operation is null ? null : Telemetry.KvSpans.Start(operation.SpanName, operation.MetricName);
            try
            {
                if (edge is not null && EdgeProxy.Forwards(c, operation)) await edge.ForwardBindingAsync(c, operation);
                else await binding.InvokeAsync(c);
            }
            finally
            {
                metrics.Operation(operation?.MetricName ?? "binding", c.Response.StatusCode);
            }
        }));

        app.UseWhen(c => c.Request.Path.StartsWithSegments(Root), api =>
        {
            api.UseMiddleware<Telemetry.OperationTelemetry>();
            api.UseMiddleware<ErrorMiddleware>();
            api.UseMiddleware<DotSegmentGuard>();
            if (edge is not null) api.Use(edge.ForwardOrServeAsync);
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

        var root = app.MapGroup(Root);
        var namespaces = root.MapGroup(Namespaces);
        AccountEndpoints.Map(root);
        TokenEndpoints.Map(root);
        LimitsEndpoint.Map(root);
        UsageEndpoints.Map(root);
        Feed.ReplicationEndpoints.Map(root);
        ExportEndpoints.MapSnapshot(root);
        NamespaceEndpoints.Map(namespaces);
        ValueEndpoints.Map(namespaces);
        BulkEndpoints.Map(namespaces);
        ExportEndpoints.MapExport(namespaces);
        AuditEndpoint.Map(namespaces);
        role.MapFeed(root, namespaces);
    }
}
