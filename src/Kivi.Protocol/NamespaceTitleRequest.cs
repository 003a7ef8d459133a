using System.Text.Json.Serialization;

namespace Kivi.Protocol;

/// <summary>The body of a namespace create or rename.</summary>
public sealed class NamespaceTitleRequest
{
    [JsonPropertyName("title")] public string? Title { get; set; }

    /// <summary>Kivi's addition, for restoring a namespace under its old id: 32 lowercase hex digits. Cloudflare ignores it.</summary>
    [JsonPropertyName("id")] public string? Id { get; set; }

    /// <summary>Workers KV's jurisdiction ("eu", "us" or "fedramp"), at creation only; a rename may repeat it but not change it.</summary>
    [JsonPropertyName("jurisdiction")] public string? Jurisdiction { get; set; }
}
