using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kivi.Protocol;

/// <summary>One pair of a REST bulk write (PUT /bulk).</summary>
public sealed class BulkWriteItem
{
    [JsonPropertyName("key")] public string? Key { get; set; }
    [JsonPropertyName("value")] public string? Value { get; set; }
    [JsonPropertyName("base64")] public bool Base64 { get; set; }
    [JsonPropertyName("expiration")] public JsonElement? Expiration { get; set; }
    [JsonPropertyName("expiration_ttl")] public JsonElement? ExpirationTtl { get; set; }
    [JsonPropertyName("metadata")] public JsonElement? Metadata { get; set; }

    /// <summary>Fields that are none of the above: <see cref="BulkItemRules"/> refuses them rather than drop them.</summary>
    [JsonExtensionData] public Dictionary<string, JsonElement>? Unknown { get; set; }
}
