using System.Globalization;
using System.Text.Json;
using Kivi.Core;
using Kivi.Core.Storage;
using Kivi.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;

namespace Kivi.Server.Rest;

/// <summary>Values, metadata and the keys list of one namespace.</summary>
internal static class ValueEndpoints
{
    /// <summary>A value's route, under the namespaces group: the hot read path matches requests by it too.</summary>
    public const string ValueRoute = "/{namespace_id}/values/{**key}";

    public const string ValuesMarker = "/values/";
    private const string MetadataMarker = "/metadata/";

    public static void Map(RouteGroupBuilder namespaces)
    {
        namespaces.MapGet(ValueRoute, GetAsync).WithMetadata(KvOperation.Read("get"));
        namespaces.MapPut(ValueRoute, PutAsync).WithMetadata(KvOperation.Write("put", Writes.Key));
        namespaces.MapDelete(ValueRoute, DeleteAsync).WithMetadata(KvOperation.Write("delete", Writes.Key));
        namespaces.MapGet("/{namespace_id}/metadata/{**key}", GetMetadataAsync).WithMetadata(KvOperation.Read("get metadata"));
        namespaces.MapGet("/{namespace_id}/keys", ListKeysAsync).WithMetadata(KvOperation.Read("list keys"));
    }

    private static async Task GetAsync(HttpContext context, KvService kv, string account_id, string namespace_id)
    {
        var ns = await NamespaceEndpoints.ResolveAsync(context, kv, account_id, namespace_id, NamespaceAccess.Read);
        string key = RawKey.FromRequest(context, ValuesMarker);
        var options = ReadRequest.Parse(context, kv.Limits, Query.Text(context.Request.Query, "cache_ttl"));
        var found = await kv.GetAsync(ns, key, options, context.RequestAborted);
        await ReadRequest.AnswerAsync(context, kv, options, found);
        await using var value = found.Value ?? throw KvErrors.KeyNotFound();
        var response = context.Response;
        response.ContentType = "application/octet-stream";
        response.ContentLength = value.Length;
        SetVersion(response, value.Version);
        if (value.Expiration is { } expiration) response.Headers[KiviHeaders.Expiration] = expiration.ToString(CultureInfo.InvariantCulture);
        await value.CopyToAsync(response.Body, context.RequestAborted);
    }

    private static async Task PutAsync(HttpContext context, KvService kv, string account_id, string namespace_id)
    {
        var ns = await NamespaceEndpoints.ResolveAsync(context, kv, account_id, namespace_id, NamespaceAccess.Write);
        string key = RawKey.FromRequest(context, ValuesMarker);
        var limits = kv.Limits;
        ValueBuffer value;
        byte[] metadata = [];
        if (RequestBody.IsMultipart(context, out string boundary))
            (value, metadata) = await RequestBody.ReadMultipartAsync(context, boundary, limits.MaxValueBytes, limits.MaxMetadataBytes);
        else
            value = await RequestBody.ReadAsync(context, limits.MaxValueBytes, n => KvErrors.ValueTooLarge(n, limits.MaxValueBytes));
        using (value)
        {
            var q = context.Request.Query;
            var (ifMatch, ifNoneMatch) = Preconditions(context.Request);
            var (version, expires) = await kv.PutEntryAsync(ns, new PutRequest(key, value, Query.Text(q, "expiration"), Query.Text(q, "expiration_ttl"), metadata, ifMatch, ifNoneMatch), context.Caller());
            SetWritten(context, kv, version, expires);
        }
        await Envelope.OkEmptyAsync(context);
    }

    private static async Task DeleteAsync(HttpContext context, KvService kv, string account_id, string namespace_id)
    {
        var ns = await NamespaceEndpoints.ResolveAsync(context, kv, account_id, namespace_id, NamespaceAccess.Write);
        var (ifMatch, ifNoneMatch) = Preconditions(context.Request);
        SetWritten(context, kv, await kv.DeleteAsync(ns, RawKey.FromRequest(context, ValuesMarker), context.Caller(), ifMatch, ifNoneMatch));
        await Envelope.OkEmptyAsync(context);
    }

    private static async Task GetMetadataAsync(HttpContext context, KvService kv, string account_id, string namespace_id)
    {
        var ns = await NamespaceEndpoints.ResolveAsync(context, kv, account_id, namespace_id, NamespaceAccess.Read);
        var options = ReadRequest.Parse(context, kv.Limits, Query.Text(context.Request.Query, "cache_ttl"));
        var found = await kv.GetInfoAsync(ns, RawKey.FromRequest(context, MetadataMarker), options, context.RequestAborted);
        await ReadRequest.AnswerAsync(context, kv, options, found);
        var info = found.Value ?? throw KvErrors.KeyNotFound();
        SetVersion(context.Response, info.Version);
        await Envelope.OkAsync(context, w =>
        {
            if (info.Metadata is null) w.WriteNullValue();
            else w.WriteRawValue(info.Metadata, skipInputValidation: true);
        });
    }

    private static async Task ListKeysAsync(HttpContext context, KvService kv, string account_id, string namespace_id)
    {
        var ns = await NamespaceEndpoints.ResolveAsync(context, kv, account_id, namespace_id, NamespaceAccess.Read);
        var q = context.Request.Query;
        var options = ReadRequest.Parse(context, kv.Limits, Query.Text(q, "cache_ttl"));
        var listed = await kv.ListKeysAsync(ns, Query.Utf8Text(context.Request, "prefix"), Query.Text(q, "limit"), Query.Text(q, "cursor"), kv.Limits.MinRestListLimit, options, context.RequestAborted);
        await ReadRequest.AnswerAsync(context, kv, options, listed);
        var page = listed.Value;
        await Envelope.OkArrayAsync(context, page.Keys, WriteKey, w =>
        {
            w.WriteStartObject();
            w.WriteNumber("count", page.Keys.Count);
            w.WriteString("cursor", page.Cursor ?? "");
            w.WriteEndObject();
        });
    }

    internal static void WriteKey(Utf8JsonWriter w, EntryInfo entry)
    {
        w.WriteStartObject();
        w.WriteString("name", entry.Key.AsSpan());
        if (entry.Expiration is { } expiration) w.WriteNumber("expiration", expiration);
        if (entry.Metadata is { } metadata)
        {
            w.WritePropertyName("metadata");
            w.WriteRawValue(metadata, skipInputValidation: true);
        }
        w.WriteEndObject();
    }

    /// <summary>A conditional write's raw If-Match and If-None-Match headers (Kivi's addition), validated by KvService.</summary>
    internal static (string? IfMatch, string? IfNoneMatch) Preconditions(HttpRequest request)
    {
        var headers = request.Headers;
        return (headers.IfMatch.Count > 0 ? headers.IfMatch.ToString() : null, headers.IfNoneMatch.Count > 0 ? headers.IfNoneMatch.ToString() : null);
    }

    /// <summary>
    /// After a single-key write: <see cref="SetVersion"/>, and the store's epoch (Kivi-Epoch), so a cache that installs
    /// the write can later be told when the store no longer has the history it was written in.
    /// </summary>
    internal static void SetWritten(HttpContext context, KvService kv, long version, long? expiration = null)
    {
        SetVersion(context.Response, version, expiration);
        if (kv.Reads.Lineage is { } lineage) context.Response.Headers[KiviHeaders.Epoch] = lineage.CurrentEpoch.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The entry's version, as a strong ETag and as Kivi-Version; after a put, the absolute expiration it was given.</summary>
    internal static void SetVersion(HttpResponse response, long version, long? expiration = null)
    {
        string v = version.ToString(CultureInfo.InvariantCulture);
        response.Headers[HeaderNames.ETag] = "\"" + v + "\"";
        response.Headers[KiviHeaders.Version] = v;
        if (expiration is { } e) response.Headers[KiviHeaders.Expiration] = e.ToString(CultureInfo.InvariantCulture);
    }
}
