using System.Net;
using Kivi.Protocol;
using Kivi.Server.Rest;
using Microsoft.AspNetCore.Http;

namespace Kivi.Server.Telemetry;

/// <summary>
/// Who may scrape <c>/metrics</c>: a request with the admin token or a metrics token, or from an address listed in
/// <c>--metrics-allow</c> (for a Prometheus that sends no token). Everyone else gets Cloudflare's 401 or 403 envelope.
/// </summary>
internal sealed class MetricsAccess(ICallerAuthenticator tokens, IReadOnlyList<IPNetwork> open)
{
    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        if (context.Connection.RemoteIpAddress is { } remote && open.Any(n => n.Contains(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote)))
        {
            await next();
            return;
        }
        if (TokenAuthenticator.RequestToken(context.Request) is not { } token)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await Envelope.ErrorAsync(context, StatusCodes.Status401Unauthorized, KvErrorCode.AuthenticationError, "Authentication error");
            return;
        }
        if (await tokens.AuthenticateAsync(token, context.RequestAborted) is not { CanScrapeMetrics: true })
        {
            await Envelope.ErrorAsync(context, StatusCodes.Status403Forbidden, KvErrorCode.AuthenticationError, "Authentication error: /metrics needs the admin token or a metrics token");
            return;
        }
        await next();
    }

    /// <summary>Parses <c>--metrics-allow</c>: addresses or CIDR networks, comma-separated.</summary>
    public static IReadOnlyList<IPNetwork> Parse(string? text)
    {
        var networks = new List<IPNetwork>();
        foreach (string part in (text ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (IPNetwork.TryParse(part, out var network)) networks.Add(network);
            else if (IPAddress.TryParse(part, out var address)) networks.Add(new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128));
            else throw new KiviOptionsException($"--metrics-allow must list IP addresses or networks (127.0.0.1, 10.0.0.0/8), comma-separated; \"{part}\" is neither.");
        }
        return networks;
    }
}
