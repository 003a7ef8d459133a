using System.Globalization;
using System.Text.Json;
using Kivi.Core;
using Kivi.Core.Storage;
using Kivi.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Kivi.Server.Rest;

/// <summary>
/// The audit of a namespace or a key (Kivi's addition): its changes newest first with the token that made each, for an
/// admin that reaches the namespace, as far back as the change log is retained (<c>--change-retention</c>).
/// </summary>
internal static class AuditEndpoint
{
    public static void Map(RouteGroupBuilder namespaces) =>
        namespaces.MapGet(AuditAnswer.Route, GetAsync).WithMetadata(KvOperation.Kivi("audit"));

    private static async Task GetAsync(HttpContext context, KvService kv, string account_id, string namespace_id)
    {
        await NamespaceEndpoints.CheckAccountAsync(context, kv, account_id);
        context.Require(c => c.IsAdminOf(account_id));
        var ns = await kv.GetNamespaceAsync(account_id, namespace_id, context.RequestAborted);
        context.Require(c => c.CanManageNamespace(ns));
        var q = context.Request.Query;
        string? key = Query.Utf8Text(context.Request, "key");
        int limit = Query.Int(q, "limit", 100);
        if (limit < 1 || limit > AuditAnswer.MaxLimit) throw KvErrors.InvalidRequest($"limit must be from 1 to {AuditAnswer.MaxLimit}, not {limit}.");
        string? cursor = Query.Text(q, "cursor");
        long before = long.MaxValue;
        if (!string.IsNullOrEmpty(cursor) && !long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out before))
            throw KvErrors.InvalidRequest($"cursor must be the cursor of an earlier page, not \"{cursor}\".");
        long since = Query.Time(q, "since")?.ToUnixTimeMilliseconds() ?? 0;
        long until = Query.Time(q, "until")?.ToUnixTimeMilliseconds() ?? long.MaxValue;
        var log = context.RequestServices.GetRequiredService<IKvChangeLog>(); // a store's: an edge forwards this
        var rows = await log.ReadAuditAsync(new AuditQuery(account_id, ns.Id, key is null ? null : KeyName.ToUtf8(key, kv.Limits), since, until, before, limit + 1), context.RequestAborted);
        var page = rows.Take(limit).Select(r => new AuditEvent(
            r.At == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.At).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            r.Key is null ? null : System.Text.Encoding.UTF8.GetString(r.Key), FeedLine.Name(r.Kind), r.Version, r.TokenId, r.TokenName, r.Expiration)).ToArray();
        var answer = new AuditAnswer(page, rows.Count > limit ? page[^1].Version.ToString(CultureInfo.InvariantCulture) : "");
        await Envelope.OkAsync(context, w => JsonSerializer.Serialize(w, answer, KiviProtocolJsonContext.Default.AuditAnswer));
    }
}
