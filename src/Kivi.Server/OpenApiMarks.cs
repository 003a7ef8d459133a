using Kivi.Server.Rest;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Kivi.Server;

/// <summary>
/// Names each operation of the OpenAPI document (<c>/openapi/v1.json</c>) by its <see cref="KvOperation"/>, and marks
/// Kivi's additions beside Cloudflare's API with <c>x-kivi-addition: true</c> and a line saying so.
/// </summary>
internal static class OpenApiMarks
{
    public static Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        if (context.Description.ActionDescriptor.EndpointMetadata.OfType<KvOperation>().FirstOrDefault() is not { } kv) return Task.CompletedTask;
        operation.Summary = kv.Name;
        operation.OperationId = kv.MetricName + "_" + context.Description.HttpMethod?.ToLowerInvariant();
        operation.Extensions ??= new Dictionary<string, IOpenApiExtension>();
        operation.Extensions["x-kivi-addition"] = new JsonNodeExtension(System.Text.Json.Nodes.JsonValue.Create(kv.Addition));
        if (kv.Addition) operation.Description = "Kivi's addition: not part of Cloudflare's API. See docs/compatibility.md.";
        return Task.CompletedTask;
    }
}
