using System.Text.Json;
using Kivi.Protocol;
using Microsoft.AspNetCore.Http;

namespace Kivi.Server.Rest;

/// <summary>Answers with Cloudflare's response envelope (<see cref="EnvelopeJson"/>).</summary>
internal static class Envelope
{
    public static Task OkAsync(HttpContext context, Action<Utf8JsonWriter> result, Action<Utf8JsonWriter>? resultInfo = null) =>
        WriteAsync(context, StatusCodes.Status200OK, success: true, errors: null, result, resultInfo);

    /// <summary>Success with an array of items as the result, and optional result_info.</summary>
    public static Task OkArrayAsync<T>(HttpContext context, IEnumerable<T> items, Action<Utf8JsonWriter, T> writeItem, Action<Utf8JsonWriter>? resultInfo) =>
        OkAsync(context, w =>
        {
            w.WriteStartArray();
            foreach (var item in items) writeItem(w, item);
            w.WriteEndArray();
        }, resultInfo);

    /// <summary>Cloudflare's result_info of a page-numbered listing.</summary>
    public static Action<Utf8JsonWriter> PageInfo(int page, int perPage, int count, int total) => w =>
    {
        w.WriteStartObject();
        w.WriteNumber("page", page);
        w.WriteNumber("per_page", perPage);
        w.WriteNumber("count", count);
        w.WriteNumber("total_count", total);
        w.WriteNumber("total_pages", (total + perPage - 1) / perPage);
        w.WriteEndObject();
    };

    /// <summary>Success with an empty object as the result, as Cloudflare answers writes.</summary>
    public static Task OkEmptyAsync(HttpContext context) => OkAsync(context, static w => { w.WriteStartObject(); w.WriteEndObject(); });

    public static Task ErrorAsync(HttpContext context, int status, int code, string message) =>
        WriteAsync(context, status, success: false, errors: (code, message), result: null, resultInfo: null);

    private static async Task WriteAsync(HttpContext context, int status, bool success, (int Code, string Message)? errors, Action<Utf8JsonWriter>? result, Action<Utf8JsonWriter>? resultInfo)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        EnvelopeJson.Write(response.BodyWriter, success ? null : errors, result, resultInfo);
        await response.BodyWriter.FlushAsync(context.RequestAborted);
    }
}
