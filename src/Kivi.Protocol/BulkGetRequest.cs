using System.Text.Json.Serialization;

namespace Kivi.Protocol;

/// <summary>The body of a bulk get (POST /bulk/get), on REST and on the binding protocol.</summary>
public sealed class BulkGetRequest
{
    [JsonPropertyName("keys")] public List<string?>? Keys { get; set; }
    [JsonPropertyName("type")] public string? Type { get; set; }
    [JsonPropertyName("withMetadata")] public bool WithMetadata { get; set; }
    [JsonPropertyName("cacheTtl")] public System.Text.Json.JsonElement? CacheTtl { get; set; }

    /// <summary>cacheTtl as text when it is a number or a string; null when absent.</summary>
    public string? CacheTtlText() => CacheTtl switch
    {
        { ValueKind: System.Text.Json.JsonValueKind.String } s => s.GetString(),
        { ValueKind: System.Text.Json.JsonValueKind.Number } n => n.GetRawText(),
        _ => null,
    };
}
