using System.Text.Json;
using Kivi.Core;
using Kivi.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Kivi.Server.Rest;

/// <summary>Bulk write, bulk delete (both of Cloudflare's forms) and bulk get.</summary>
internal static class BulkEndpoints
{
    /// <summary>A list of 10,000 keys of 512 bytes, JSON-escaped at worst six bytes a byte, fits well within this.</summary>
    private const long MaxKeyListBody = 40L * 1024 * 1024;

    public static void Map(RouteGroupBuilder namespaces)
    {
        namespaces.MapPut("/{namespace_id}/bulk", PutAsync).WithMetadata(KvOperation.Write("bulk put", Writes.BodyKeys));
        namespaces.MapDelete("/{namespace_id}/bulk", DeleteAsync).WithMetadata(KvOperation.Write("bulk delete", Writes.BodyKeys));
        namespaces.MapPost("/{namespace_id}/bulk/delete", DeleteAsync).WithMetadata(KvOperation.Write("bulk delete", Writes.BodyKeys));
        namespaces.MapPost("/{namespace_id}/bulk/get", GetAsync).WithMetadata(KvOperation.Read("bulk get"));
    }

    private static async Task PutAsync(HttpContext context, KvService kv, string account_id, string namespace_id)
    {
        var ns = await NamespaceEndpoints.ResolveAsync(context, kv, account_id, namespace_id, NamespaceAccess.Write);
        long max = kv.Limits.MaxBulkWriteBytes;
        List<CheckedBulkItem>? items;
        List<BulkWriteItem?>? exact = null;
        using (var body = await RequestBody.ReadAsync(context, max, _ => KvErrors.BulkWriteTooLarge(max))) // not held while the write commits
        {
            // Items checked while they are read; any problem is read again the exact way, which reports it.
            items = BulkItemReader.TryReadArray(RequestBody.BytesOf(body), kv.NowSeconds, kv.Limits);
            if (items is null) exact = RequestBody.ParseJson(body, KiviProtocolJsonContext.Default.ListBulkWriteItem);
        }
        var (count, version) = items is not null ? await kv.BulkPutAsync(ns, items, context.Caller()) : await kv.BulkPutAsync(ns, exact!, context.Caller());
        ValueEndpoints.SetVersion(context.Response, version);
        await WriteCountAsync(context, count);
    }

    private static async Task DeleteAsync(HttpContext context, KvService kv, string account_id, string namespace_id)
    {
        var ns = await NamespaceEndpoints.ResolveAsync(context, kv, account_id, namespace_id, NamespaceAccess.Write);
        var keys = await RequestBody.ReadJsonAsync(context, MaxKeyListBody, n => KvErrors.InvalidRequest($"The request body exceeds the limit of {MaxKeyListBody} bytes."), KiviProtocolJsonContext.Default.ListString);
        var (count, version) = await kv.BulkDeleteAsync(ns, keys, context.Caller());
        ValueEndpoints.SetVersion(context.Response, version);
        await WriteCountAsync(context, count);
    }

    private static async Task GetAsync(HttpContext context, KvService kv, string account_id, string namespace_id)
    {
        var ns = await NamespaceEndpoints.ResolveAsync(context, kv, account_id, namespace_id, NamespaceAccess.Read);
        var request = await RequestBody.ReadJsonAsync(context, MaxKeyListBody, n => KvErrors.InvalidRequest($"The request body exceeds the limit of {MaxKeyListBody} bytes."), KiviProtocolJsonContext.Default.BulkGetRequest);
        var type = KvService.ParseBulkGetType(request.Type);
        var options = ReadRequest.Parse(context, kv.Limits, request.CacheTtlText());
        var read = await kv.BulkGetAsync(ns, request.Keys, type, options, context.RequestAborted);
        await ReadRequest.AnswerAsync(context, kv, options, read);
        var results = read.Value;
        await Envelope.OkAsync(context, w =>
        {
            w.WriteStartObject();
            w.WriteStartObject("values");
            WriteValues(w, results, type, request.WithMetadata, withExpiration: true);
            w.WriteEndObject();
            w.WriteEndObject();
        });
    }

    /// <summary>Writes each key's value (and metadata when asked), null for a missing key; shared with the binding protocol.</summary>
    internal static void WriteValues(Utf8JsonWriter w, IReadOnlyList<BulkGetResult> results, BulkGetType type, bool withMetadata, bool withExpiration)
    {
        foreach (var result in results)
        {
            w.WritePropertyName(result.Key);
            if (result.Value is not { } value)
            {
                w.WriteNullValue();
                continue;
            }
            if (withMetadata)
            {
                w.WriteStartObject();
                w.WritePropertyName("value");
            }
            if (type == BulkGetType.Json) w.WriteRawValue(value.Span, skipInputValidation: false);
            else w.WriteStringValue(System.Text.Encoding.UTF8.GetString(value.Span));
            if (withMetadata)
            {
                w.WritePropertyName("metadata");
                if (result.Metadata is null) w.WriteNullValue();
                else w.WriteRawValue(result.Metadata, skipInputValidation: true);
                if (withExpiration && result.Expiration is { } expiration) w.WriteNumber("expiration", expiration);
                w.WriteEndObject();
            }
        }
    }

    private static Task WriteCountAsync(HttpContext context, int count) => Envelope.OkAsync(context, w =>
    {
        w.WriteStartObject();
        w.WriteNumber("successful_key_count", count);
        w.WriteStartArray("unsuccessful_keys");
        w.WriteEndArray();
        w.WriteEndObject();
    });
}
