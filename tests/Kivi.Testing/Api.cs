using System.Net;
using System.Text.Json;

namespace Kivi.Testing;

/// <summary>A parsed Cloudflare envelope.</summary>
public sealed record Api(HttpStatusCode Status, bool Success, int? ErrorCode, string? ErrorMessage, JsonElement Result, JsonElement ResultInfo, string Raw)
{
    public static async Task<Api> ReadAsync(HttpResponseMessage response)
    {
        string raw = await response.Content.ReadAsStringAsync();
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/json", $"{(int)response.StatusCode} is not a JSON envelope: {raw}");
        using var doc = JsonDocument.Parse(raw);
        var root = doc.RootElement.Clone();
        Assert.True(root.TryGetProperty("errors", out var errors) && root.TryGetProperty("messages", out _), raw);
        int? code = null;
        string? message = null;
        if (errors.GetArrayLength() > 0)
        {
            code = errors[0].GetProperty("code").GetInt32();
            message = errors[0].GetProperty("message").GetString();
        }
        return new Api(response.StatusCode, root.GetProperty("success").GetBoolean(), code, message, root.GetProperty("result"),
            root.TryGetProperty("result_info", out var info) ? info : default, raw);
    }
}
