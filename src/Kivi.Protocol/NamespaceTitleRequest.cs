using System.Text.Json.Serialization;

namespace Kivi.Protocol;

/// <summary>The body of a namespace create or rename.</summary>
public sealed class NamespaceTitleRequest
{
    [JsonPropertyName("title")] public string? Title { get; set; }
}
