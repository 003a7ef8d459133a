using System.Globalization;
using System.Text;
using System.Text.Json;
using Kivi.Core;
using Kivi.Core.Storage;
using Kivi.Protocol;
using Kivi.Server.Rest;
using Microsoft.AspNetCore.Http;

namespace Kivi.Server.Binding;

/// <summary>
/// The KV protocol workerd speaks to an external service: <c>GET|PUT|DELETE /&lt;key&gt;?urlencoded=true</c>,
/// <c>GET /?key_count_limit=&amp;prefix=&amp;cursor=</c> and <c>POST /bulk/get</c>. The namespace comes from
/// the injected <c>X-Kivi-Namespace</c> header.
/// </summary>
internal static class BindingEndpoints
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly KvOperation BulkGet = KvOperation.Read("bulk get"), List = KvOperation.Read("list keys"), Get = KvOperation.Read("get"),
        Put = KvOperation.Write("put", Writes.Key), Delete = KvOperation.Write("delete", Writes.Key);

    /// <summary>
    /// What a binding request is (the protocol's whole route table), for <see cref="HandleAsync"/> and for an edge
    /// deciding whether to forward it; null for a path or method the protocol does not have.
    /// </summary>
    public static KvOperation? Operation(HttpContext context)
    {
        string path = RawKey.RawPath(context);
        string method = context.Request.Method;
        if (path == "/bulk/get" && HttpMethods.IsPost(method)) return BulkGet;
        if (path == "/" && HttpMethods.IsGet(method)) return List;
        if (path.Length <= 1 || path[0] != '/') return null;
        return HttpMethods.IsGet(method) ? Get : HttpMethods.IsPut(method) ? Put : HttpMethods.IsDelete(method) ? Delete : null;
    }

    public static async Task HandleAsync(HttpContext context, KvNamespace ns, KvService kv)
    {
        var operation = Operation(context);
        if (operation == BulkGet) await BulkGetAsync(context, ns, kv);
        else if (operation == List) await ListAsync(context, ns, kv);
        else if (operation is not null)
        {
            string key = RawKey.Decode(RawKey.RawPath(context).AsSpan(1));
            if (operation == Get) await GetAsync(context, ns, kv, key);
            else if (operation == Put) await PutAsync(context, ns, kv, key);
            else ValueEndpoints.SetWritten(context, kv, await kv.DeleteAsync(ns, key, context.Caller()));
        }
        else if (RawKey.RawPath(context) is { Length: > 1 } path && path[0] == '/') throw new KvException(405, KvErrorCode.NoRoute, "Method Not Allowed");
        else throw new KvException(404, KvErrorCode.NoRoute, "Not Found");
    }

    private static async Task GetAsync(HttpContext context, KvNamespace ns, KvService kv, string key)
    {
        var options = ReadRequest.Parse(context, kv.Limits, Query.Text(context.Request.Query, "cache_ttl"));
        var read = await kv.GetAsync(ns, key, options, context.RequestAborted);
        await using var value = read.Value;
        await ReadRequest.AnswerAsync(context, kv, options, read, value?.Version);
        var response = context.Response;
        if (value is null)
        {
            BindingErrors.SetStatus(context, 404, "Not Found");
            return;
        }
        response.ContentLength = value.Length;
        response.ContentType = "application/octet-stream";
        ValueEndpoints.SetVersion(response, value.Version);
        if (value.Metadata is { } metadata) response.Headers[KiviHeaders.CfKvMetadata] = KiviHeaders.AsciiJson(metadata);
        if (value.Expiration is { } expiration) response.Headers[KiviHeaders.CfExpiration] = expiration.ToString(CultureInfo.InvariantCulture);
        await value.CopyToAsync(response.Body, context.RequestAborted);
    }

    private static async Task PutAsync(HttpContext context, KvNamespace ns, KvService kv, string key)
    {
        var limits = kv.Limits;
        using var value = await RequestBody.ReadAsync(context, limits.MaxValueBytes, n => KvErrors.ValueTooLarge(n, limits.MaxValueBytes));
        string? metadata = context.Request.Headers[KiviHeaders.CfKvMetadata];
        var q = context.Request.Query;
        var (ifMatch, ifNoneMatch) = ValueEndpoints.Preconditions(context.Request);
        var (version, expires) = await kv.PutEntryAsync(ns, new PutRequest(key, value, Query.Text(q, "expiration"), Query.Text(q, "expiration_ttl"),
            metadata is null ? default : Encoding.UTF8.GetBytes(metadata), ifMatch, ifNoneMatch), context.Caller());
        ValueEndpoints.SetWritten(context, kv, version, expires);
    }

    /// <summary>Metadata goes back as a JSON string, which workerd parses; the cursor only when incomplete.</summary>
    private static async Task ListAsync(HttpContext context, KvNamespace ns, KvService kv)
    {
        var q = context.Request.Query;
        var options = ReadRequest.Parse(context, kv.Limits, Query.Text(q, "cache_ttl"));
        var listed = await kv.ListKeysAsync(ns, Query.Utf8Text(context.Request, "prefix"), Query.Text(q, "key_count_limit"), Query.Text(q, "cursor"), 1, options, context.RequestAborted);
        var page = listed.Value;
        await ReadRequest.AnswerAsync(context, kv, options, listed, page.Keys.Count == 0 ? null : page.Keys.Max(k => k.Version));
        await WriteJsonAsync(context, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("keys");
            foreach (var entry in page.Keys)
            {
                w.WriteStartObject();
                w.WriteString("name", entry.Key.AsSpan());
                if (entry.Expiration is { } expiration) w.WriteNumber("expiration", expiration);
                if (entry.Metadata is { } metadata) w.WriteString("metadata", metadata);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteBoolean("list_complete", page.ListComplete);
            if (page.Cursor is { } cursor) w.WriteString("cursor", cursor);
            w.WriteNull("cacheStatus");
            w.WriteEndObject();
        });
    }

    /// <summary>A JSON object keyed by name, which workerd turns into the Map a Worker sees.</summary>
    private static async Task BulkGetAsync(HttpContext context, KvNamespace ns, KvService kv)
    {
        var request = await RequestBody.ReadJsonAsync(context, 1024 * 1024, n => KvErrors.InvalidRequest("The bulk get request body is too large."), KiviProtocolJsonContext.Default.BulkGetRequest);
        var options = ReadRequest.Parse(context, kv.Limits, request.CacheTtlText());
        var type = KvService.ParseBulkGetType(request.Type);
        var read = await kv.BulkGetAsync(ns, request.Keys, type, options, context.RequestAborted);
        await ReadRequest.AnswerAsync(context, kv, options, read);
        var results = read.Value;
        await WriteJsonAsync(context, w =>
        {
            w.WriteStartObject();
            BulkEndpoints.WriteValues(w, results, type, request.WithMetadata, withExpiration: false);
            w.WriteEndObject();
        });
    }

    private static async Task WriteJsonAsync(HttpContext context, Action<Utf8JsonWriter> write)
    {
        context.Response.ContentType = "application/json";
        using (var w = new Utf8JsonWriter(context.Response.BodyWriter, WriterOptions)) write(w);
        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }
}
