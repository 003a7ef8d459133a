using Microsoft.AspNetCore.Mvc;
using System.Text.Json;
using Kivi.Core;
using Kivi.Protocol;
using Kivi.Core.Access;
using Kivi.Server.Rest;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Kivi.Server.Feed;

/// <summary>
/// What an edge asks of its upstream besides data, with a replication (or admin) token: who a client's
/// token is (by its SHA-256, so the edge can check tokens it is shown), and where a namespace lives.
/// </summary>
internal static class ReplicationEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet(ReplicationLookups.TokenRoute, FindTokenAsync).WithMetadata(KvOperation.Kivi("find token"));
        api.MapGet(ReplicationLookups.NamespaceRoute, FindNamespaceAsync).WithMetadata(KvOperation.Kivi("find namespace"));
        api.MapGet(ReplicationLookups.AccountRoute, FindAccountAsync).WithMetadata(KvOperation.Kivi("find account"));
    }

    private static void RequireReplicator(HttpContext context) => context.Require(c => c.IsRoot || c.CanReplicate(c.AccountId!));

    private static async Task FindTokenAsync(HttpContext context, [FromServices] TokenAuthenticator authenticator, string hash)
    {
        RequireReplicator(context);
        if (hash.Length != 64 || !hash.All(char.IsAsciiHexDigit)) throw KvErrors.InvalidRequest("The token hash must be 64 hexadecimal digits (SHA-256 of the token's value).");
        var found = await authenticator.FindByHashAsync(Convert.FromHexString(hash), context.RequestAborted);
        if (found is null || !(found.IsRoot || context.Caller().CanSeeAccount(found.AccountId!)))
            throw new KvException(404, Protocol.KvErrorCode.TokenNotFound, "Token not found");
        await Envelope.OkAsync(context, w => JsonSerializer.Serialize(w, new TokenLookup(found.IsRoot, found.TokenId, found.AccountId,
            TokenService.PermissionName(found.Permission), found.Namespaces?.ToArray(), found.TokenName), KiviProtocolJsonContext.Default.TokenLookup));
    }

    private static async Task FindNamespaceAsync(HttpContext context, KvService kv, string namespace_id)
    {
        RequireReplicator(context);
        var ns = await kv.Reads.FindNamespaceAsync(namespace_id, context.RequestAborted);
        if (ns is null || !context.Caller().Reaches(ns)) throw KvErrors.NamespaceNotFound();
        await Envelope.OkAsync(context, w => JsonSerializer.Serialize(w, new NamespaceLookup(ns.Id, ns.Title, ns.AccountId, ns.Jurisdiction), KiviProtocolJsonContext.Default.NamespaceLookup));
    }

    private static async Task FindAccountAsync(HttpContext context, KvService kv, string account_id)
    {
        RequireReplicator(context);
        if (!context.Caller().CanSeeAccount(account_id) || !await kv.Reads.AccountExistsAsync(account_id, context.RequestAborted))
            throw KvErrors.AccountNotFound(account_id);
        await Envelope.OkAsync(context, w => JsonSerializer.Serialize(w, new AccountLookup(account_id), KiviProtocolJsonContext.Default.AccountLookup));
    }
}
