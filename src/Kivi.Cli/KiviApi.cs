using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Kivi.Protocol;

namespace Kivi.Cli;

/// <summary>A namespace as the REST API describes it.</summary>
internal sealed record NamespaceInfo(string Id, string Title);

/// <summary>
/// The Cloudflare-shaped REST API, as the CLI uses it: envelopes unwrapped, failures turned into
/// <see cref="KvException"/> with the server's code and message.
/// </summary>
internal sealed class KiviApi : IDisposable
{
    private readonly HttpClient _http;
    private string? _accountId;

    public KiviApi(Connection connection)
    {
        Connection = connection;
        _http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10), PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1) })
        {
            BaseAddress = new Uri(connection.Url.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/client/v4/"),
            Timeout = Timeout.InfiniteTimeSpan, // streams (export, snapshot) run as long as they need; calls pass their own tokens
        };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", connection.RequireToken());
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("kivi-cli/1");
        _accountId = connection.AccountId;
    }

    public Connection Connection { get; }

    /// <summary>The configured account, or the only one the token sees.</summary>
    public async Task<string> AccountIdAsync(CancellationToken ct)
    {
        if (_accountId is { } known) return known;
        var accounts = (JsonArray)(await SendJsonAsync(HttpMethod.Get, "accounts?per_page=50", null, ct))!;
        _accountId = accounts.Count switch
        {
            0 => throw new CliException(ExitCodes.Denied, "The token sees no account."),
            1 => accounts[0]!["id"]!.GetValue<string>(),
            _ => throw new CliException(ExitCodes.Usage, $"The token sees {accounts.Count} accounts: {string.Join(", ", accounts.Select(a => a!["id"]))}.",
                "Choose one with --account-id or KIVI_ACCOUNT_ID."),
        };
        return _accountId;
    }

    public async Task<string> NamespacesPathAsync(CancellationToken ct) => $"accounts/{await AccountIdAsync(ct)}/storage/kv/namespaces";

    public async Task<List<NamespaceInfo>> ListNamespacesAsync(CancellationToken ct)
    {
        string path = await NamespacesPathAsync(ct);
        var all = new List<NamespaceInfo>();
        for (int page = 1; ; page++)
        {
            var items = (JsonArray)(await SendJsonAsync(HttpMethod.Get, $"{path}?per_page=100&page={page}&order=title", null, ct))!;
            all.AddRange(items.Select(ToNamespace));
            if (items.Count < 100) return all;
        }
    }

    /// <summary>A namespace named by its id or by its title.</summary>
    public async Task<NamespaceInfo> ResolveNamespaceAsync(string idOrTitle, CancellationToken ct)
    {
        if (IsId(idOrTitle))
        {
            try
            {
                return ToNamespace(await SendJsonAsync(HttpMethod.Get, $"{await NamespacesPathAsync(ct)}/{idOrTitle}", null, ct));
            }
            catch (KvException e) when (e.StatusCode == 404 && e.Code == (int)KvErrorCode.NamespaceNotFound)
            {
                // a title that happens to look like an id
            }
        }
        var found = (await ListNamespacesAsync(ct)).FirstOrDefault(n => n.Title == idOrTitle);
        return found ?? throw new CliException(ExitCodes.NotFound, $"No namespace has the id or title \"{idOrTitle}\".", "List them with `kivi namespace list`.");
    }

    /// <summary>
    /// The server's effective limits (<c>GET /client/v4/kivi/limits</c>), so that files are checked by the limits
    /// they will meet (a server started with a lower --min-expiration-ttl accepts what Workers KV would refuse).
    /// </summary>
    public async Task<KvLimits> LimitsAsync(CancellationToken ct)
    {
        if (_limits is not null) return _limits;
        var result = await SendAsync(HttpMethod.Get, "kivi/limits", null, ct);
        return _limits = System.Text.Json.JsonSerializer.Deserialize(result, KiviProtocolJsonContext.Default.KvLimits) ?? throw new CliException(ExitCodes.Failed, "The server answered its limits with nothing.");
    }

    private KvLimits? _limits;

    public static bool IsId(string s) => s.Length == 32 && s.All(char.IsAsciiHexDigitLower);

    public static NamespaceInfo ToNamespace(JsonNode? n) => new(n!["id"]!.GetValue<string>(), n["title"]!.GetValue<string>());

    public Task<JsonNode?> SendJsonAsync(HttpMethod method, string path, JsonNode? body, CancellationToken ct) =>
        SendAsync(method, path, body is null ? null : new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), ct);

    /// <summary>Sends a request and returns the envelope's <c>result</c>; a failure envelope becomes a <see cref="KvException"/>.</summary>
    public async Task<JsonNode?> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        using var response = await SendRawAsync(request, ct);
        string text = await response.Content.ReadAsStringAsync(ct);
        var envelope = Envelope(text);
        if (response.IsSuccessStatusCode && envelope?["success"]?.GetValue<bool>() == true) return envelope["result"];
        throw Failure(response.StatusCode, text);
    }

    /// <summary>Sends a request whose answer the caller reads itself (a stream), after checking its status.</summary>
    public async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, CancellationToken ct, bool checkStatus = false)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (HttpRequestException e)
        {
            throw new CliException(ExitCodes.Unreachable, $"Could not reach the Kivi server at {Connection.Url}: {e.Message}",
                "Is it running? Start one with `kivi serve`, or pass --url.");
        }
        if (!checkStatus || response.IsSuccessStatusCode) return response;
        using (response)
        {
            string text = await response.Content.ReadAsStringAsync(ct);
            throw Failure(response.StatusCode, text);
        }
    }

    /// <summary>The answer as JSON, or null when it is not (a proxy's error page): then the status is reported.</summary>
    private static JsonNode? Envelope(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static KvException Failure(HttpStatusCode status, string text)
    {
        if (EnvelopeJson.TryReadError(text, out int code, out string message) && message.Length > 0) return new KvException((int)status, code, message);
        return new KvException((int)status, code, text.Length is > 0 and < 300 ? text : $"HTTP {(int)status}");
    }

    public void Dispose() => _http.Dispose();
}
