using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Kivi.Client;

/// <summary>An entry as read: its value, metadata, expiration and version.</summary>
public sealed class KvEntry
{
    public KvEntry(ReadOnlyMemory<byte> value, string? metadataJson, long? expiration, long version, TimeSpan? stale = null)
    {
        Value = value;
        MetadataJson = metadataJson;
        Expiration = expiration;
        Version = version;
        Stale = stale;
    }

    public ReadOnlyMemory<byte> Value { get; }

    /// <summary>The value as UTF-8 text.</summary>
    public string Text => Encoding.UTF8.GetString(Value.Span);

    /// <summary>The metadata as compact JSON, or null when the entry has none.</summary>
    public string? MetadataJson { get; }

    /// <summary>The metadata as a JSON element, or null when the entry has none.</summary>
    public JsonElement? Metadata => MetadataJson is null ? null : JsonDocument.Parse(MetadataJson).RootElement;

    /// <summary>When the entry expires, in seconds since the Unix epoch, or null when it does not.</summary>
    public long? Expiration { get; }

    /// <summary>The entry's version: it grows with every change to the store (use it with <see cref="KvPutOptions.IfVersion"/>).</summary>
    public long Version { get; }

    /// <summary>
    /// Set when the server could not be reached and this answer came from a copy held past its cache
    /// TTL (stale if error), to say how long ago the copy was last known current.
    /// </summary>
    public TimeSpan? Stale { get; }

    /// <summary>The value parsed as JSON.</summary>
    public T? Json<T>(JsonTypeInfo<T> jsonTypeInfo) => JsonSerializer.Deserialize(Value.Span, jsonTypeInfo);

    /// <summary>The metadata parsed as JSON, or default when the entry has none.</summary>
    public T? MetadataAs<T>(JsonTypeInfo<T> jsonTypeInfo) => MetadataJson is null ? default : JsonSerializer.Deserialize(MetadataJson, jsonTypeInfo);
}
