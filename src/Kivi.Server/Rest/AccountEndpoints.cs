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
        api.MapGet("/memberships", ListMembershipsAsync).WithMetadata(new KvOperation("list memberships"));
        api.MapGet("/user/tokens/verify", VerifyAsync).WithMetadata(new KvOperation("verify token"));
    }

    private static async Task ListAccountsAsync(HttpContext context, KvService kv)
    {
        var accounts = await kv.Engine.ListAccountsAsync(context.RequestAborted);
        await Envelope.OkAsync(context, w =>
        {
            w.WriteStartArray();
            foreach (var id in accounts)
            {
                w.WriteStartObject();
                w.WriteString("id", id);
                w.WriteString("name", $"Kivi account {id}");
                w.WriteString("type", "standard");
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }, w => PageInfo(w, accounts.Count));
    }

    private static async Task ListMembershipsAsync(HttpContext context, KvService kv)
    {
        var accounts = await kv.Engine.ListAccountsAsync(context.RequestAborted);
        await Envelope.OkAsync(context, w =>
        {
            w.WriteStartArray();
            foreach (var id in accounts)
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
            }
            w.WriteEndArray();
        }, w => PageInfo(w, accounts.Count));
    }

    private static Task VerifyAsync(HttpContext context) => Envelope.OkAsync(context, w =>
    {
        w.WriteStartObject();
        w.WriteString("id", "admin");
        w.WriteString("status", "active");
        w.WriteEndObject();
    });

    private static void PageInfo(System.Text.Json.Utf8JsonWriter w, int count)
    {
        w.WriteStartObject();
        w.WriteNumber("page", 1);
        w.WriteNumber("per_page", Math.Max(count, 20));
        w.WriteNumber("count", count);
        w.WriteNumber("total_count", count);
        w.WriteEndObject();
    }
}
