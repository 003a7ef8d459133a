using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Kivi.Protocol;

/// <summary>
/// Reads bulk-write items straight from their UTF-8 JSON into <see cref="CheckedBulkItem"/>s, checking each while it
/// reads: no object and no UTF-16 copy per item, only the key's and the value's bytes. It accepts only what
/// <see cref="BulkItemRules.Check"/> accepts and gives the same result for it. Anything else (a problem, a field twice,
/// an unusual form) makes it give up, and the caller reads the body the exact way, which reports the problem with
/// its own words and precedence. So this reader never has to say what was wrong, only that all was well.
/// </summary>
public static class BulkItemReader
{
    /// <summary>
    /// The items of a bulk-write body (a JSON array of items) when every one of them is fine and there are at most
    /// <see cref="KvLimits.MaxBulkWritePairs"/>; null otherwise.
    /// </summary>
    public static List<CheckedBulkItem>? TryReadArray(ReadOnlySequence<byte> body, long now, KvLimits limits)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray) return null;
            var items = new List<CheckedBulkItem>();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (items.Count == limits.MaxBulkWritePairs || !TryReadItem(ref reader, body, now, limits, out var item)) return null;
                items.Add(item);
            }
            return reader.TokenType == JsonTokenType.EndArray && !reader.Read() ? items : null;
        }
        catch (Exception e) when (IsRefusal(e))
        {
            return null;
        }
    }

    /// <summary>One item on its own (a line of an NDJSON file), when it is fine; false otherwise.</summary>
    public static bool TryRead(ReadOnlyMemory<byte> json, long now, KvLimits limits, out CheckedBulkItem item)
    {
        item = default;
        try
        {
            var source = new ReadOnlySequence<byte>(json);
            var reader = new Utf8JsonReader(source);
            return reader.Read() && TryReadItem(ref reader, source, now, limits, out item) && !reader.Read();
        }
        catch (Exception e) when (IsRefusal(e))
        {
            return false;
        }
    }

    /// <summary>What reading or checking throws for input the exact path refuses; a bug of this reader is none of these and is not hidden.</summary>
    private static bool IsRefusal(Exception e) => e is JsonException or KvException or FormatException or InvalidOperationException;

    [Flags]
    private enum Field
    {
        None = 0,
        Key = 1,
        Value = 2,
        Base64 = 4,
        Expiration = 8,
        ExpirationTtl = 16,
        Metadata = 32,
    }

    /// <summary>Reads the item whose start the reader is on, leaving it on the item's end.</summary>
    private static bool TryReadItem(ref Utf8JsonReader reader, ReadOnlySequence<byte> source, long now, KvLimits limits, out CheckedBulkItem item)
    {
        item = default;
        if (reader.TokenType != JsonTokenType.StartObject) return false;
        byte[]? key = null, value = null;
        bool base64 = false;
        string? expiration = null, expirationTtl = null, metadata = null;
        var seen = Field.None;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = FieldOf(ref reader);
            if (field == Field.None || seen.HasFlag(field)) return false; // unknown, or twice: the exact path decides
            seen |= field;
            reader.Read();
            switch (field)
            {
                case Field.Key:
                    if (JsonText.CopyUtf8(ref reader, limits.MaxKeyBytes) is not { } k || !KeyName.IsKey(k, limits)) return false;
                    key = k;
                    break;
                case Field.Value:
                    // base64 text is longer than what it decodes to, so its bound is checked once decoded
                    if (JsonText.CopyUtf8(ref reader) is not { } v) return false;
                    value = v;
                    break;
                case Field.Base64:
                    if (reader.TokenType is not (JsonTokenType.True or JsonTokenType.False)) return false;
                    base64 = reader.TokenType == JsonTokenType.True;
                    break;
                case Field.Expiration:
                    if (!TryNumberText(ref reader, out expiration)) return false;
                    break;
                case Field.ExpirationTtl:
                    if (!TryNumberText(ref reader, out expirationTtl)) return false;
                    break;
                case Field.Metadata:
                    metadata = ReadMetadata(ref reader, source, limits);
                    break;
            }
        }
        if (reader.TokenType != JsonTokenType.EndObject || key is null || value is null) return false;
        if (base64) value = BulkItemRules.DecodeBase64(Encoding.UTF8.GetString(value));
        if (value.Length > limits.MaxValueBytes) return false;
        item = new CheckedBulkItem(key, value, metadata, Kivi.Protocol.Expiration.Resolve(expiration, expirationTtl, now, limits));
        return true;
    }

    private static Field FieldOf(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("key"u8) ? Field.Key
        : reader.ValueTextEquals("value"u8) ? Field.Value
        : reader.ValueTextEquals("base64"u8) ? Field.Base64
        : reader.ValueTextEquals("expiration"u8) ? Field.Expiration
        : reader.ValueTextEquals("expiration_ttl"u8) ? Field.ExpirationTtl
        : reader.ValueTextEquals("metadata"u8) ? Field.Metadata
        : Field.None;

    /// <summary>An expiration as the rules take it: a number's own text, a string's text, or null for JSON null; false for any other kind.</summary>
    private static bool TryNumberText(ref Utf8JsonReader reader, out string? text)
    {
        text = reader.TokenType switch
        {
            JsonTokenType.Number => Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan),
            JsonTokenType.String => reader.GetString(),
            _ => null,
        };
        return text is not null || reader.TokenType == JsonTokenType.Null;
    }

    /// <summary>Metadata normalised from the value's own bytes, which is what the exact path normalises (it takes the value's raw text).</summary>
    private static string? ReadMetadata(ref Utf8JsonReader reader, ReadOnlySequence<byte> source, KvLimits limits)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        long start = reader.TokenStartIndex;
        reader.Skip(); // to the end of an object or array; a scalar is its own end
        var raw = source.Slice(start, reader.BytesConsumed - start);
        return Metadata.Normalize(raw.IsSingleSegment ? raw.FirstSpan : raw.ToArray(), limits);
    }
}
