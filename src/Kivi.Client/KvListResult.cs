using System.Text.Json;

namespace Kivi.Client;

/// <summary>A page of keys; <see cref="Cursor"/> is set while more follow.</summary>
public sealed record KvListResult(IReadOnlyList<KvKey> Keys, bool ListComplete, string? Cursor);

/// <summary>A listed key with its metadata and expiration.</summary>
public sealed record KvKey(string Name, long? Expiration, string? MetadataJson)
{
    public JsonElement? Metadata => MetadataJson is null ? null : JsonDocument.Parse(MetadataJson).RootElement;
}
