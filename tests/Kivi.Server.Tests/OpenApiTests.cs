using System.Text.Json;
using Kivi.Server.Rest;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Kivi.Server.Tests;

/// <summary>The OpenAPI document at /openapi/v1.json describes every route the node maps, with Kivi's additions marked.</summary>
public sealed class OpenApiTests(KiviServerFixture server) : IClassFixture<KiviServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A route as OpenAPI writes it: catch-alls ({**key}) as plain parameters.</summary>
    private static string AsOpenApi(string pattern) => "/" + pattern.Trim('/').Replace("{**", "{", StringComparison.Ordinal);

    [Fact]
    public async Task Every_mapped_route_appears_in_the_document_and_additions_are_marked()
    {
        using var response = await server.Client.GetAsync("/openapi/v1.json", Ct);
        Assert.True(response.IsSuccessStatusCode);
        var paths = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("paths");

        var routes = server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<KvOperation>() is not null).ToList();
        Assert.True(routes.Count > 30, $"only {routes.Count} API routes found");
        foreach (var route in routes)
        {
            string path = AsOpenApi(route.RoutePattern.RawText!);
            Assert.True(paths.TryGetProperty(path, out var item), $"{path} is not in the OpenAPI document");
            foreach (var method in route.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods)
            {
                Assert.True(item.TryGetProperty(method.ToLowerInvariant(), out var operation), $"{method} {path} is not in the OpenAPI document");
                bool addition = route.Metadata.GetMetadata<KvOperation>()!.Addition;
                Assert.Equal(addition, operation.GetProperty("x-kivi-addition").GetBoolean());
            }
        }
        Assert.True(paths.GetProperty("/client/v4/accounts/{account_id}/storage/kv/usage").GetProperty("get").GetProperty("x-kivi-addition").GetBoolean());
        Assert.False(paths.GetProperty("/client/v4/accounts/{account_id}/storage/kv/namespaces/{namespace_id}/values/{key}").GetProperty("get").GetProperty("x-kivi-addition").GetBoolean());
    }
}
