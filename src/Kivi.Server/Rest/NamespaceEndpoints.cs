using System.Text.Json;
using Kivi.Core;
using Kivi.Core.Storage;
using Kivi.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Kivi.Server.Rest;

/// <summary>Namespace list, create, get, rename and delete.</summary>
internal static class NamespaceEndpoints
{
    private const int MaxTitleBody = 16 * 1024;

    public static void Map(RouteGroupBuilder namespaces)
    {
        namespaces.MapGet("", ListAsync).WithMetadata(new KvOperation("list namespaces"));
        namespaces.MapPost("", CreateAsync).WithMetadata(new KvOperation("create namespace"));
        namespaces.MapGet("/{namespace_id}", GetAsync).WithMetadata(new KvOperation("get namespace"));
        namespaces.MapPut("/{namespace_id}", RenameAsync).WithMetadata(new KvOperation("rename namespace"));
        namespaces.MapDelete("/{namespace_id}", DeleteAsync).WithMetadata(KvOperation.Write("delete namespace", Writes.Namespace));
    }

    /// <summary>
    /// Resolves the namespace of a request and checks the caller may use it so: every endpoint that
    /// touches a namespace's data comes through here, so none can forget the check.
    /// </summary>
    public static async ValueTask<KvNamespace> ResolveAsync(HttpContext context, KvService kv, string accountId, string namespaceId, NamespaceAccess access)
    {
        await CheckAccountAsync(context, kv, accountId);
        var ns = await kv.GetNamespaceAsync(accountId, namespaceId, context.RequestAborted);
        context.Require(c => access == NamespaceAccess.Write ? c.CanWrite(ns) : c.CanRead(ns));
        return ns;
    }

    /// <summary>A namespace the caller may rename or delete: an admin's that it reaches.</summary>
    private static async ValueTask ResolveManagedAsync(HttpContext context, KvService kv, string accountId, string namespaceId)
    {
        await CheckAccountAsync(context, kv, accountId);
        context.Require(c => c.IsAdminOf(accountId)); // neither read nor write tokens learn which ids exist
        var ns = await kv.GetNamespaceAsync(accountId, namespaceId, context.RequestAborted);
        context.Require(c => c.CanManageNamespace(ns));
    }

    /// <summary>A caller of another account is refused before anything of this one is looked up.</summary>
    public static async ValueTask CheckAccountAsync(HttpContext context, KvService kv, string accountId)
    {
        context.Require(c => c.CanSeeAccount(accountId));
        await kv.EnsureAccountExistsAsync(accountId, context.RequestAborted);
    }

    private static async Task ListAsync(HttpContext context, KvService kv, string account_id)
    {
        await CheckAccountAsync(context, kv, account_id);
        var caller = context.Caller();
        var q = context.Request.Query;
        int page = Query.Int(q, "page", 1);
        int perPage = Query.Int(q, "per_page", 20);
        var order = q["order"].ToString() switch
        {
            "" or "id" => NamespaceOrder.Id,
            "title" => NamespaceOrder.Title,
            var other => throw KvErrors.InvalidRequest($"order must be \"id\" or \"title\", not \"{other}\"."),
        };
        bool descending = q["direction"].ToString() switch
        {
            "" or "asc" => false,
            "desc" => true,
            var other => throw KvErrors.InvalidRequest($"direction must be \"asc\" or \"desc\", not \"{other}\"."),
        };
        var result = await kv.ListNamespacesAsync(account_id, page, perPage, order, descending, caller.IsRoot ? null : caller.Reaches, context.RequestAborted);
        await Envelope.OkArrayAsync(context, result.Items, Write, Envelope.PageInfo(page, perPage, result.Items.Count, result.TotalCount));
    }

    private static async Task CreateAsync(HttpContext context, KvService kv, string account_id)
    {
        context.Require(c => c.CanManageAccount(account_id));
        var body = await ReadTitleAsync(context);
        var ns = await kv.CreateNamespaceAsync(account_id, body.Title, context.RequestAborted, body.Id, body.Jurisdiction);
        await Envelope.OkAsync(context, w => Write(w, ns));
    }

    private static async Task GetAsync(HttpContext context, KvService kv, string account_id, string namespace_id)
    {
        var ns = await ResolveAsync(context, kv, account_id, namespace_id, NamespaceAccess.Read);
        await Envelope.OkAsync(context, w => Write(w, ns));
    }

    private static async Task RenameAsync(HttpContext context, KvService kv, string account_id, string namespace_id)
    {
        await ResolveManagedAsync(context, kv, account_id, namespace_id);
        var body = await ReadTitleAsync(context);
        var ns = await kv.RenameNamespaceAsync(account_id, namespace_id, body.Title, context.RequestAborted, body.Jurisdiction);
        await Envelope.OkAsync(context, w => Write(w, ns));
    }

    private static async Task DeleteAsync(HttpContext context, KvService kv, string account_id, string namespace_id)
    {
        await ResolveManagedAsync(context, kv, account_id, namespace_id);
        await kv.DeleteNamespaceAsync(account_id, namespace_id, context.Caller(), context.RequestAborted);
        await Envelope.OkEmptyAsync(context);
    }

    private static Task<NamespaceTitleRequest> ReadTitleAsync(HttpContext context) =>
        RequestBody.ReadJsonAsync(context, MaxTitleBody, n => KvErrors.InvalidRequest($"The request body of {n} bytes exceeds the limit of {MaxTitleBody} bytes."), KiviProtocolJsonContext.Default.NamespaceTitleRequest);

    private static void Write(Utf8JsonWriter w, KvNamespace ns)
    {
        w.WriteStartObject();
        w.WriteString("id", ns.Id);
        w.WriteString("title", ns.Title);
        if (ns.Jurisdiction is { } jurisdiction) w.WriteString("jurisdiction", jurisdiction);
        w.WriteBoolean("supports_url_encoding", true);
        w.WriteEndObject();
    }
}
