using System.Buffers;
using System.Text;
using System.Text.Json;
using Kivi.Protocol;

namespace Kivi.Core;

/// <summary>Metadata rules: any JSON value, at most 1024 bytes once serialised compactly.</summary>
public static class Metadata
{
    /// <summary>Validates metadata JSON and returns its compact form, or null for absent or JSON null.</summary>
    public static string? Normalize(ReadOnlySpan<byte> utf8Json, KvLimits limits)
    {
        if (utf8Json.IsEmpty) return null;
        var buffer = new ArrayBufferWriter<byte>(Math.Min(utf8Json.Length, 4096));
        try
        {
            var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 64 });
            using var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false, SkipValidation = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            if (!reader.Read()) throw KvErrors.MetadataNotJson();
            if (reader.TokenType == JsonTokenType.Null)
            {
                if (reader.Read()) throw KvErrors.MetadataNotJson();
                return null;
            }
            using var doc = JsonDocument.ParseValue(ref reader);
            if (reader.Read()) throw KvErrors.MetadataNotJson();
            doc.RootElement.WriteTo(writer);
            writer.Flush();
        }
        catch (JsonException)
        {
            throw KvErrors.MetadataNotJson();
        }
        catch (InvalidOperationException)
        {
            throw KvErrors.MetadataNotJson();
        }
        if (buffer.WrittenCount > limits.MaxMetadataBytes) throw KvErrors.MetadataTooLarge(buffer.WrittenCount, limits.MaxMetadataBytes);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Validates metadata given as text.</summary>
    public static string? Normalize(string? json, KvLimits limits) =>
        string.IsNullOrEmpty(json) ? null : Normalize(Encoding.UTF8.GetBytes(json), limits);

    /// <summary>Metadata as sent in a header (non-ASCII escaped; see KiviHeaders.AsciiJson), back in its stored compact form.</summary>
    public static string FromHeader(string header) =>
        header.Contains('\\', StringComparison.Ordinal) ? Normalize(Encoding.UTF8.GetBytes(header), Unlimited)! : header;

    private static readonly KvLimits Unlimited = new() { MaxMetadataBytes = int.MaxValue };

    /// <summary>Validates metadata given as an already-parsed JSON element.</summary>
    public static string? Normalize(JsonElement? element, KvLimits limits)
    {
        if (element is not { } e || e.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined) return null;
        string compact = e.GetRawText();
        return Normalize(Encoding.UTF8.GetBytes(compact), limits);
    }
}
