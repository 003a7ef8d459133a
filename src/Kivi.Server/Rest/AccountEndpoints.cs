using Microsoft.AspNetCore.Mvc;
using Kivi.Core.Storage;
using Kivi.Protocol;
using Kivi.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Kivi.Server.Rest;

/// <summary>Account discovery as wrangler and the SDKs expect it: <c>/accounts</c>, <c>/memberships</c>, token verification.</summary>
internal static class AccountEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/accounts", ListAccountsAsync).WithMetadata(new KvOperation("list accounts"));
        api.MapPost("/accounts", CreateAccountAsync).WithMetadata(KvOperation.Kivi("create account"));
        api.MapGet("/memberships", ListMembershipsAsync).WithMetadata(new KvOperation("list memberships"));
        // A Delegate, not a RequestDelegate: so the OpenAPI document describes it.
        api.MapGet("/user/tokens/verify", (Func<HttpContext, Task>)VerifyAsync).WithMetadata(new KvOperation("verify token"));
    }

    /// <summary>One page of the accounts, honouring page and per_page: clients page until a page is empty.</summary>
    private static async Task<(IReadOnlyList<string> Page, int Total, int PageNumber, int PerPage)> PageAsync(HttpContext context, IKvCatalog catalog)
    {
        var caller = context.Caller();
        var all = (await catalog.ListAccountsAsync(context.RequestAborted)).Where(caller.CanSeeAccount).ToArray();
        int page = Query.Int(context.Request.Query, "page", 1), perPage = Query.Int(context.Request.Query, "per_page", 20);
        if (page < 1 || perPage < 1 || perPage > 1000) throw KvErrors.InvalidRequest("page must be at least 1 and per_page from 1 to 1000.");
        long skip = (long)(page - 1) * perPage;
        return (all.Skip((int)Math.Min(skip, int.MaxValue)).Take(perPage).ToArray(), all.Length, page, perPage);
    }

    private static async Task ListAccountsAsync(HttpContext context, KvService kv, [FromServices] IKvCatalog catalog)
    {
        var (accounts, total, page, perPage) = await PageAsync(context, catalog);
        await Envelope.OkArrayAsync(context, accounts, static (w, id) =>
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("name", $"Kivi account {id}");
            w.WriteString("type", "standard");
            w.WriteEndObject();
        }, Envelope.PageInfo(page, perPage, accounts.Count, total));
    }

    private static async Task ListMembershipsAsync(HttpContext context, KvService kv, [FromServices] IKvCatalog catalog)
    {
        var (accounts, total, page, perPage) = await PageAsync(context, catalog);
        await Envelope.OkArrayAsync(context, accounts, static (w, id) =>
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("status", "accepted");
            w.WriteStartObject("account");
            w.WriteString("id", id);
            w.WriteString("name", $"Kivi account {id}");
            w.WriteEndObject();
            w.WriteStartArray("roles");
            w.WriteStringValue("Administrator");
            w.WriteEndArray();
            w.WriteEndObject();
        }, Envelope.PageInfo(page, perPage, accounts.Count, total));
    }

    /// <summary>Several accounts can live in one store; only the admin token creates them.</summary>
    private static async Task CreateAccountAsync(HttpContext context, [FromServices] Kivi.Core.Access.TokenService tokens)
    {
        context.Require(c => c.CanCreateAccounts);
        var body = await RequestBody.ReadJsonAsync(context, 16 * 1024, _ => KvErrors.InvalidRequest("The request body exceeds 16384 bytes."), TokenJsonContext.Default.AccountRequest);
        string id = await tokens.CreateAccountAsync(body.Name, body.Id);
        await Envelope.OkAsync(context, w =>
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("name", body.Name);
            w.WriteString("type", "standard");
            w.WriteEndObject();
        });
    }

    internal sealed class AccountRequest
    {
        [System.Text.Json.Serialization.JsonPropertyName("name")] public string? Name { get; set; }

        /// <summary>Kivi's addition for restores: the id to create (or keep) instead of a new one.</summary>
        [System.Text.Json.Serialization.JsonPropertyName("id")] public string? Id { get; set; }
    }

    private static Task VerifyAsync(HttpContext context) => Envelope.OkAsync(context, w =>
    {
        w.WriteStartObject();
        w.WriteString("id", context.Caller().TokenId);
        w.WriteString("status", "active");
        w.WriteEndObject();
    });
}
