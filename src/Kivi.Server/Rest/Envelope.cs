using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Kivi.Server.Rest;

/// <summary>Writes Cloudflare's response envelope: <c>{success, errors, messages, result, result_info}</c>.</summary>
internal static class Envelope
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

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
        using (var w = new Utf8JsonWriter(response.BodyWriter, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteBoolean("success", success);
            w.WriteStartArray("errors");
            if (errors is { } e)
            {
                w.WriteStartObject();
                w.WriteNumber("code", e.Code);
                w.WriteString("message", e.Message);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("messages");
            w.WriteEndArray();
            w.WritePropertyName("result");
            if (result is null) w.WriteNullValue();
            else result(w);
            if (resultInfo is not null)
            {
                w.WritePropertyName("result_info");
                resultInfo(w);
            }
            w.WriteEndObject();
        }
        await response.BodyWriter.FlushAsync(context.RequestAborted);
    }
}
