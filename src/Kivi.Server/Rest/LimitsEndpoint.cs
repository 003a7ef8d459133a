using System.Text.Json;
using Kivi.Core;
using Kivi.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Kivi.Server.Rest;

/// <summary>
/// <c>GET /client/v4/kivi/limits</c> (Kivi's addition): the limits this server enforces, after its settings
/// (<see cref="KvLimits"/>, snake_case), so a client checks its input by the limits it will meet. Any valid token.
/// </summary>
internal static class LimitsEndpoint
{
    public const string Route = "/kivi/limits";

    public static void Map(RouteGroupBuilder api) =>
        api.MapGet(Route, (HttpContext context, KvService kv) =>
            Envelope.OkAsync(context, w => JsonSerializer.Serialize(w, kv.Limits, KiviProtocolJsonContext.Default.KvLimits)))
            .WithMetadata(KvOperation.Kivi("limits"));
}
