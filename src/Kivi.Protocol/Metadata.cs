using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Kivi.Protocol;

/// <summary>Metadata rules: any JSON value, at most 1024 bytes once serialised compactly.</summary>
public static class Metadata
{
    /// <summary>Validates metadata JSON and returns its compact form, or null for absent or JSON null.</summary>
    public static string? Normalize(ReadOnlySpan<byte> utf8Json, KvLimits limits)
    {
        if (utf8Json.IsEmpty) return null;
        // Checked first: the JSON reader would pass invalid bytes through, and they would be stored as U+FFFD.
        if (!System.Text.Unicode.Utf8.IsValid(utf8Json)) throw KvErrors.MetadataNotUtf8(FirstInvalidUtf8(utf8Json));
        var buffer = new ArrayBufferWriter<byte>(Math.Min(utf8Json.Length, 4096));
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = MaxDepth });
        try
        {
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
        catch (JsonException) when (NestingDepth(utf8Json) > MaxDepth)
        {
            throw KvErrors.MetadataTooDeep(MaxDepth);
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

    /// <summary>How deeply metadata may nest arrays and objects.</summary>
    public const int MaxDepth = 64;

    /// <summary>How deeply a JSON text nests arrays and objects (as far as it could be read).</summary>
    private static int NestingDepth(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = 100_000 });
        int deepest = 0;
        try
        {
            while (reader.Read()) deepest = Math.Max(deepest, reader.CurrentDepth + (reader.TokenType is JsonTokenType.StartArray or JsonTokenType.StartObject ? 1 : 0));
        }
        catch (JsonException) { }
        return deepest;
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        int at = 0;
        while (at < bytes.Length)
        {
            var status = System.Text.Rune.DecodeFromUtf8(bytes[at..], out _, out int consumed);
            if (status != System.Buffers.OperationStatus.Done) return at;
            at += consumed;
        }
        return at;
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
