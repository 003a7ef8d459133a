using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Kivi.Protocol;

/// <summary>
/// Cloudflare's response envelope, both sides: <c>{success, errors:[{code, message}], messages, result, result_info}</c>.
/// The server writes it (<see cref="Write"/>); the SDK, an edge and the CLI read its error (<see cref="TryReadError"/>)
/// or its result.
/// </summary>
public static class EnvelopeJson
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    /// <summary>Writes an envelope: a success when <paramref name="error"/> is null.</summary>
    public static void Write(IBufferWriter<byte> output, (int Code, string Message)? error, Action<Utf8JsonWriter>? result, Action<Utf8JsonWriter>? resultInfo = null)
    {
        using var w = new Utf8JsonWriter(output, WriterOptions);
        w.WriteStartObject();
        w.WriteBoolean("success", error is null);
        w.WriteStartArray("errors");
        if (error is { } e)
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

    /// <summary>The first error of an envelope, if <paramref name="body"/> is one that has any.</summary>
    public static bool TryReadError(string body, out int code, out string message)
    {
        code = 0;
        message = "";
        if (!body.TrimStart().StartsWith('{')) return false;
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (!doc.RootElement.TryGetProperty("errors", out var errors) || errors.ValueKind != JsonValueKind.Array || errors.GetArrayLength() == 0) return false;
            var first = errors[0];
            if (first.TryGetProperty("code", out var c) && c.TryGetInt32(out int n)) code = n;
            if (first.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String) message = m.GetString()!;
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Whether an envelope says it succeeded.</summary>
    public static bool Succeeded(JsonElement envelope) => envelope.TryGetProperty("success", out var s) && s.ValueKind == JsonValueKind.True;

    /// <summary>An envelope's <c>result</c> read as <paramref name="type"/>.</summary>
    public static T? Result<T>(JsonElement envelope, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        envelope.TryGetProperty("result", out var r) ? r.Deserialize(type) : default;
}
