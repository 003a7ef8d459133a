using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Kivi.Caching;
using Kivi.Client;
using Kivi.Core.Access;
using Kivi.Core.Storage;

namespace Kivi.Server.Edge;

/// <summary>The upstream's replication endpoints, as an edge uses them: tokens by hash, namespaces and accounts by id.</summary>
internal sealed class EdgeUpstreamApi(HttpClient http, string upstreamToken, TimeSpan timeout)
{
    private readonly AuthenticationHeaderValue _auth = new("Bearer", upstreamToken);

    public async Task<Caller?> FindCallerAsync(byte[] hash, CancellationToken ct)
    {
        using var doc = await GetAsync($"client/v4/kivi/tokens/{Convert.ToHexStringLower(hash)}", ct);
        if (doc is null) return null;
        var r = doc.RootElement.GetProperty("result");
        if (r.GetProperty("root").GetBoolean()) return Caller.Root;
        var namespaces = r.TryGetProperty("namespaces", out var n) ? n.EnumerateArray().Select(e => e.GetString()!).ToList() : null;
        var token = new KvToken(r.GetProperty("id").GetString()!, r.GetProperty("account_id").GetString()!, "",
            TokenService.ParsePermission(r.GetProperty("permission").GetString()), namespaces, 0, hash);
        return Caller.For(token);
    }

    public async Task<KvNamespace?> FindNamespaceAsync(string namespaceId, CancellationToken ct)
    {
        using var doc = await GetAsync($"client/v4/kivi/namespaces/{Uri.EscapeDataString(namespaceId)}", ct);
        if (doc is null) return null;
        var r = doc.RootElement.GetProperty("result");
        return new KvNamespace(0, r.GetProperty("id").GetString()!, r.GetProperty("account_id").GetString()!, r.GetProperty("title").GetString()!);
    }

    public async Task<bool> AccountExistsAsync(string accountId, CancellationToken ct)
    {
        using var doc = await GetAsync($"client/v4/kivi/accounts/{Uri.EscapeDataString(accountId)}", ct);
        return doc is not null;
    }

    /// <summary>The answer's JSON, or null for a 404; an outage is <see cref="UpstreamUnavailableException"/>.</summary>
    private async Task<JsonDocument?> GetAsync(string path, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = _auth;
        HttpResponseMessage response;
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bounded.CancelAfter(timeout);
        try
        {
            response = await http.SendAsync(request, bounded.Token);
        }
        catch (HttpRequestException e)
        {
            throw new UpstreamUnavailableException($"The upstream {http.BaseAddress} is unreachable: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new UpstreamUnavailableException($"The upstream {http.BaseAddress} did not answer in time.", e);
        }
        using (response)
        {
            if (response.StatusCode == HttpStatusCode.NotFound) return null;
            string body = await response.Content.ReadAsStringAsync(ct);
            if ((int)response.StatusCode >= 500) throw new UpstreamUnavailableException($"The upstream {http.BaseAddress} failed: {(int)response.StatusCode} {body}");
            if (!response.IsSuccessStatusCode)
                throw new UpstreamRefusedException((int)response.StatusCode, $"The upstream {http.BaseAddress} refused this edge's token ({(int)response.StatusCode}): give the edge a replication or admin token of the account it serves. {body}");
            return JsonDocument.Parse(body);
        }
    }
}
