using System.Text;
using System.Text.Unicode;

namespace Kivi.Protocol;

/// <summary>Key-name rules: 1 to 512 UTF-8 bytes, not "." or "..", no U+0000, well-formed UTF-8.</summary>
public static class KeyName
{
    /// <summary>Checks a key and returns its UTF-8 bytes, the form engines store and order by.</summary>
    public static byte[] ToUtf8(string? key, KvLimits limits)
    {
        if (string.IsNullOrEmpty(key)) throw KvErrors.KeyEmpty();
        if (key is "." or "..") throw KvErrors.KeyIllegal(key);
        if (key.Contains('\0', StringComparison.Ordinal)) throw KvErrors.KeyHasNul(); // no URL path can address it
        int max = limits.MaxKeyBytes;
        // Count first so an oversized key is refused before any allocation proportional to it.
        int length;
        try
        {
            length = Utf8Strict.GetByteCount(key);
        }
        catch (EncoderFallbackException)
        {
            throw KvErrors.KeyNotUtf8();
        }
        if (length > max) throw KvErrors.KeyTooLong(length, max);
        var bytes = new byte[length];
        Utf8Strict.GetBytes(key, bytes);
        return bytes;
    }

    /// <summary>
    /// Whether well-formed UTF-8 bytes are a key <see cref="ToUtf8"/> accepts: the same rules, for a reader that has the
    /// bytes already (keep the two together).
    /// </summary>
    public static bool IsKey(ReadOnlySpan<byte> utf8, KvLimits limits) =>
        !utf8.IsEmpty && utf8.Length <= limits.MaxKeyBytes && !utf8.SequenceEqual("."u8) && !utf8.SequenceEqual(".."u8) && !utf8.Contains((byte)0);

    /// <summary>Decodes key bytes taken from a URL; invalid UTF-8 is refused, not replaced.</summary>
    public static string FromUtf8(ReadOnlySpan<byte> utf8)
    {
        if (!Utf8.IsValid(utf8)) throw KvErrors.KeyNotDecodable();
        return Encoding.UTF8.GetString(utf8);
    }

    /// <summary>Checks a prefix: any well-formed string up to the key limit, empty allowed.</summary>
    public static byte[] PrefixToUtf8(string? prefix, KvLimits limits)
    {
        if (string.IsNullOrEmpty(prefix)) return [];
        try
        {
            int length = Utf8Strict.GetByteCount(prefix);
            if (length > limits.MaxKeyBytes) throw KvErrors.KeyTooLong(length, limits.MaxKeyBytes);
            return Utf8Strict.GetBytes(prefix);
        }
        catch (EncoderFallbackException)
        {
            throw KvErrors.KeyNotUtf8();
        }
    }

    private static readonly UTF8Encoding Utf8Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
