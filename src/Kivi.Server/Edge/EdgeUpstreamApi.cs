using System.Text.Json;
using Kivi.Client;
using Kivi.Core.Access;
using Kivi.Core.Storage;

namespace Kivi.Server.Edge;

/// <summary>The upstream's replication endpoints, as an edge uses them: tokens by hash, namespaces and accounts by id.</summary>
internal sealed class EdgeUpstreamApi(KiviUpstream upstream)
{
    public async Task<Caller?> FindCallerAsync(byte[] hash, CancellationToken ct)
    {
        using var doc = await upstream.GetEnvelopeAsync($"client/v4/kivi/tokens/{Convert.ToHexStringLower(hash)}", "token lookup", ct);
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
        using var doc = await upstream.GetEnvelopeAsync($"client/v4/kivi/namespaces/{Uri.EscapeDataString(namespaceId)}", "namespace lookup", ct);
        if (doc is null) return null;
        var r = doc.RootElement.GetProperty("result");
        return new KvNamespace(0, r.GetProperty("id").GetString()!, r.GetProperty("account_id").GetString()!, r.GetProperty("title").GetString()!,
            r.TryGetProperty("jurisdiction", out var j) ? j.GetString() : null);
    }

    public async Task<bool> AccountExistsAsync(string accountId, CancellationToken ct)
    {
        using JsonDocument? doc = await upstream.GetEnvelopeAsync($"client/v4/kivi/accounts/{Uri.EscapeDataString(accountId)}", "account lookup", ct);
        return doc is not null;
    }
}
