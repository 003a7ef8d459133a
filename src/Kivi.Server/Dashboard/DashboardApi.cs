using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kivi.Protocol;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Kivi.Server.Dashboard;

/// <summary>
/// How the dashboard reaches data: through this node's own REST API, over loopback, with the signed-in user's token.
/// Every rule, every permission and, at an edge, every forwarding decision applies to the dashboard exactly as to any
/// client, so an edge's dashboard shows what the edge serves and can do nothing its token could not.
/// </summary>
internal sealed class DashboardApi(IServer server)
{
    private readonly Lazy<HttpClient> _http = new(() => Create(server));

    /// <summary>An answer: its status, the envelope's result and result_info (or the raw body), and the error's code and message.</summary>
    public sealed record Answer(int Status, JsonNode? Result, int? Code, string? Error, byte[] Body, IReadOnlyDictionary<string, string> Headers, JsonNode? ResultInfo = null)
    {
        public bool Ok => Status is >= 200 and < 300;
    }

    public async Task<Answer> SendAsync(string token, HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken,
        params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(method, "client/v4/" + path.TrimStart('/')) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        HttpResponseMessage response;
        try
        {
            response = await _http.Value.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            return new Answer(502, null, null, $"The node's API could not be reached: {e.Message}", [], new Dictionary<string, string>());
        }
        using var _ = response;
        byte[] body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        var answerHeaders = response.Headers.Concat(response.Content.Headers).ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
        JsonNode? result = null, resultInfo = null;
        int? code = null;
        string? error = null;
        if (response.Content.Headers.ContentType?.MediaType == "application/json")
        {
            try
            {
                var envelope = JsonNode.Parse(body);
                result = envelope?["result"];
                resultInfo = envelope?["result_info"];
                if (envelope?["errors"] is JsonArray { Count: > 0 } errors)
                {
                    code = errors[0]?["code"]?.GetValue<int>();
                    error = errors[0]?["message"]?.GetValue<string>();
                }
            }
            catch (JsonException)
            {
            }
        }
        if (!response.IsSuccessStatusCode && error is null) error = $"{(int)response.StatusCode} {response.ReasonPhrase}";
        return new Answer((int)response.StatusCode, result, code, error, body, answerHeaders, resultInfo);
    }

    public Task<Answer> GetAsync(string token, string path, CancellationToken cancellationToken) => SendAsync(token, HttpMethod.Get, path, null, cancellationToken);

    /// <summary>Opens a streamed answer (a watch, an export) for the caller to pass on as it arrives; the caller disposes it.</summary>
    public async Task<HttpResponseMessage> OpenAsync(string token, string path, string accept, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "client/v4/" + path.TrimStart('/'));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Accept.ParseAdd(accept);
        return await _http.Value.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }

    public static StringContent Json(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    private static HttpClient Create(IServer server)
    {
        string address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? KiviOptions.DefaultUrl;
        var url = new UriBuilder(address.Replace("://+", "://127.0.0.1", StringComparison.Ordinal).Replace("://*", "://127.0.0.1", StringComparison.Ordinal));
        if (url.Host is "0.0.0.0" or "[::]" or "::") url.Host = "127.0.0.1";
        var handler = new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false };
        // Its own HTTPS listener: the node knows the certificate it serves, whoever signed it.
        handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => url.Host == "127.0.0.1" || url.Host == "localhost";
        return new HttpClient(handler) { BaseAddress = new Uri(url.Uri.GetLeftPart(UriPartial.Authority) + "/"), Timeout = TimeSpan.FromSeconds(60) };
    }
}
