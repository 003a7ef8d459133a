using Microsoft.AspNetCore.Mvc;
using Kivi.Protocol;
using System.Text.Json;
using System.Text.Json.Serialization;
using Kivi.Core;
using Kivi.Core.Access;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Kivi.Server.Rest;

/// <summary>
/// Account-owned scoped tokens, shaped like Cloudflare's account tokens (<c>/accounts/{id}/tokens</c>,
/// roll with <c>PUT …/{token_id}/value</c>). Only an account admin (or the admin token) manages them,
/// and an admin whose token lists namespaces only the tokens no broader than itself.
/// </summary>
internal static class TokenEndpoints
{
    private const int MaxBody = 256 * 1024;

    public static void Map(RouteGroupBuilder api)
    {
        var tokens = api.MapGroup("/accounts/{account_id}/tokens");
        tokens.MapPost("", CreateAsync).WithMetadata(KvOperation.Kivi("create token"));
        tokens.MapGet("", ListAsync).WithMetadata(KvOperation.Kivi("list tokens"));
        tokens.MapGet("/{token_id}", GetAsync).WithMetadata(KvOperation.Kivi("get token"));
        tokens.MapPut("/{token_id}/value", RollAsync).WithMetadata(KvOperation.Kivi("roll token"));
        tokens.MapDelete("/{token_id}", RevokeAsync).WithMetadata(KvOperation.Kivi("revoke token"));
    }

    private static async Task AuthorizeAsync(HttpContext context, KvService kv, string accountId)
    {
        await NamespaceEndpoints.CheckAccountAsync(context, kv, accountId);
        context.Require(c => c.IsAdminOf(accountId));
    }

    /// <summary>An existing token this caller may see, roll or revoke: one no broader than itself.</summary>
    private static async Task<KvToken> ResolveAsync(HttpContext context, KvService kv, [FromServices] TokenService tokens, string accountId, string tokenId)
    {
        await AuthorizeAsync(context, kv, accountId);
        var token = await tokens.GetAsync(accountId, tokenId, context.RequestAborted);
        context.Require(c => c.Covers(accountId, token.Namespaces));
        return token;
    }

    private static async Task CreateAsync(HttpContext context, KvService kv, [FromServices] TokenService tokens, string account_id)
    {
        await AuthorizeAsync(context, kv, account_id);
        var body = await RequestBody.ReadJsonAsync(context, MaxBody, _ => KvErrors.InvalidRequest($"The request body exceeds {MaxBody} bytes."), TokenJsonContext.Default.TokenRequest);
        // A scoped admin issues tokens only within its own namespaces (a null entry is refused by the service).
        context.Require(c => c.Covers(account_id, body.Namespaces?.OfType<string>().ToArray()));
        var issued = await tokens.CreateAsync(account_id, body.Name, body.Permission, body.Namespaces, context.RequestAborted, context.Caller());
        await Envelope.OkAsync(context, w => Write(w, issued.Token, issued.Value));
    }

    private static async Task ListAsync(HttpContext context, KvService kv, [FromServices] TokenService tokens, string account_id)
    {
        await AuthorizeAsync(context, kv, account_id);
        var caller = context.Caller();
        var all = (await tokens.ListAsync(account_id, context.RequestAborted)).Where(t => caller.Covers(account_id, t.Namespaces)).ToArray();
        await Envelope.OkArrayAsync(context, all, (w, t) => Write(w, t, null), Envelope.PageInfo(1, Math.Max(all.Length, 1), all.Length, all.Length));
    }

    private static async Task GetAsync(HttpContext context, KvService kv, [FromServices] TokenService tokens, string account_id, string token_id)
    {
        var token = await ResolveAsync(context, kv, tokens, account_id, token_id);
        await Envelope.OkAsync(context, w => Write(w, token, null));
    }

    /// <summary>Cloudflare's roll answers with the new value as the result.</summary>
    private static async Task RollAsync(HttpContext context, KvService kv, [FromServices] TokenService tokens, string account_id, string token_id)
    {
        await ResolveAsync(context, kv, tokens, account_id, token_id);
        var issued = await tokens.RollAsync(account_id, token_id);
        await Envelope.OkAsync(context, w => w.WriteStringValue(issued.Value));
    }

    private static async Task RevokeAsync(HttpContext context, KvService kv, [FromServices] TokenService tokens, string account_id, string token_id)
    {
        await ResolveAsync(context, kv, tokens, account_id, token_id);
        await tokens.RevokeAsync(account_id, token_id);
        await Envelope.OkAsync(context, w =>
        {
            w.WriteStartObject();
            w.WriteString("id", token_id);
            w.WriteEndObject();
        });
    }

    private static void Write(Utf8JsonWriter w, KvToken token, string? value)
    {
        w.WriteStartObject();
        w.WriteString("id", token.Id);
        w.WriteString("name", token.Name);
        w.WriteString("status", "active");
        w.WriteString("issued_on", DateTimeOffset.FromUnixTimeSeconds(token.IssuedOn).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture));
        w.WriteString("permission", TokenService.PermissionName(token.Permission));
        w.WritePropertyName("namespaces");
        if (token.Namespaces is null) w.WriteNullValue();
        else
        {
            w.WriteStartArray();
            foreach (var ns in token.Namespaces) w.WriteStringValue(ns);
            w.WriteEndArray();
        }
        if (value is not null) w.WriteString("value", value);
        w.WriteEndObject();
    }

    internal sealed class TokenRequest
    {
        [JsonPropertyName("name")] public string? Name { get; set; }
        [JsonPropertyName("permission")] public string? Permission { get; set; }
        [JsonPropertyName("namespaces")] public List<string?>? Namespaces { get; set; }
    }
}

/// <summary>Source-generated JSON for the token endpoints' request bodies.</summary>
[JsonSerializable(typeof(TokenEndpoints.TokenRequest))]
[JsonSerializable(typeof(AccountEndpoints.AccountRequest))]
internal sealed partial class TokenJsonContext : JsonSerializerContext;
