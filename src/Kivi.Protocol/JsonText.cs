using System.Text.Json;

namespace Kivi.Protocol;

/// <summary>Reading a JSON string token as UTF-8 bytes, for the readers that work on bytes (bulk items, feed lines).</summary>
internal static class JsonText
{
    /// <summary>
    /// The string token's text as UTF-8, unescaped; null when it is longer than <paramref name="max"/> bytes. Text that
    /// is not valid UTF-8 (raw, or an escaped lone surrogate) makes <see cref="Utf8JsonReader.CopyString(Span{byte})"/> throw.
    /// </summary>
    public static byte[]? CopyUtf8(ref Utf8JsonReader reader, long max = long.MaxValue)
    {
        if (reader.TokenType != JsonTokenType.String) return null;
        long raw = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
        if (raw > max && !reader.ValueIsEscaped) return null; // unescaping only shortens
        var text = new byte[raw];
        int length = reader.CopyString(text);
        if (length > max) return null;
        return length < text.Length ? text[..length] : text;
    }
}
