using System.Buffers.Text;

namespace Kivi.Protocol;

/// <summary>The opaque list cursor: the base64url of the last key returned; the next page starts after it.</summary>
public static class ListCursor
{
    public static string Encode(ReadOnlySpan<byte> lastKey) => Base64Url.EncodeToString(lastKey);

    /// <summary>Decodes a cursor; null or empty means the first page.</summary>
    public static byte[]? Decode(string? cursor)
    {
        if (string.IsNullOrEmpty(cursor)) return null;
        if (cursor.Length > 1024) throw KvErrors.CursorInvalid();
        try
        {
            var bytes = Base64Url.DecodeFromChars(cursor.AsSpan().TrimEnd('='));
            if (bytes.Length == 0 || !System.Text.Unicode.Utf8.IsValid(bytes)) throw KvErrors.CursorInvalid();
            return bytes;
        }
        catch (FormatException)
        {
            throw KvErrors.CursorInvalid();
        }
    }
}
