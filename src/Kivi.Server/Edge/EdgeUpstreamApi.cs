using Kivi.Client;
using Kivi.Core.Access;
using Kivi.Core.Storage;
using Kivi.Protocol;

namespace Kivi.Server.Edge;

/// <summary>The upstream's replication lookups (<see cref="ReplicationLookups"/>), as an edge uses them: tokens by hash, namespaces and accounts by id.</summary>
internal sealed class EdgeUpstreamApi(KiviUpstream upstream)
{
    public async Task<Caller?> FindCallerAsync(byte[] hash, CancellationToken ct)
    {
        if (await upstream.GetResultAsync(ReplicationLookups.TokenPath(hash), KiviProtocolJsonContext.Default.TokenLookup, "token lookup", ct) is not { } found) return null;
        if (found.Root) return Caller.Root;
        var token = new KvToken(found.Id, found.AccountId!, found.Name ?? "", TokenService.ParsePermission(found.Permission), found.Namespaces?.ToList(), 0, hash);
        return Caller.For(token);
    }

    public async Task<KvNamespace?> FindNamespaceAsync(string namespaceId, CancellationToken ct) =>
        await upstream.GetResultAsync(ReplicationLookups.NamespacePath(namespaceId), KiviProtocolJsonContext.Default.NamespaceLookup, "namespace lookup", ct) is { } ns
            ? new KvNamespace(0, ns.Id, ns.AccountId, ns.Title, ns.Jurisdiction)
            : null;

    public async Task<bool> AccountExistsAsync(string accountId, CancellationToken ct) =>
        await upstream.GetResultAsync(ReplicationLookups.AccountPath(accountId), KiviProtocolJsonContext.Default.AccountLookup, "account lookup", ct) is not null;
}
