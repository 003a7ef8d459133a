using Kivi.Protocol;
using Kivi.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Kivi.Server.Rest;

/// <summary>
/// Takes a key from the raw request target and percent-decodes it exactly once. ASP.NET Core's routing
/// leaves %2F encoded and decodes everything else, so a route value cannot tell "a/b" from "a%2Fb".
/// </summary>
internal static class RawKey
{
    /// <summary>The length of the request target (path and query) as the client sent it.</summary>
    public static int RawTargetLength(HttpContext context) =>
        context.Features.Get<IHttpRequestFeature>()?.RawTarget?.Length ?? 0;

    /// <summary>The request's path exactly as the client sent it, still percent-encoded, without the query.</summary>
    public static string RawPath(HttpContext context)
    {
        string target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "/";
        int query = target.IndexOf('?', StringComparison.Ordinal);
        return query >= 0 ? target[..query] : target;
    }

    /// <summary>
    /// The key that follows the path segment <paramref name="marker"/> (e.g. "/values/") after the namespace
    /// segment, however that segment was encoded (the route has already matched and decoded it).
    /// </summary>
    public static string FromRequest(HttpContext context, string marker)
    {
        var path = RawPath(context).AsSpan();
        int at = path.IndexOf(NamespacesSegment, StringComparison.Ordinal);
        if (at < 0) throw KvErrors.KeyNotDecodable();
        var rest = path[(at + NamespacesSegment.Length)..];
        int slash = rest.IndexOf('/');
        if (slash < 0 || !rest[slash..].StartsWith(marker, StringComparison.Ordinal)) throw KvErrors.KeyNotDecodable();
        return Decode(rest[(slash + marker.Length)..]);
    }

    private const string NamespacesSegment = "/storage/kv/namespaces/";

    /// <summary>Decodes %XX escapes into bytes, then the bytes as strict UTF-8.</summary>
    public static string Decode(ReadOnlySpan<char> encoded)
    {
        if (encoded.IsEmpty) throw KvErrors.KeyEmpty();
        if (encoded.Length > 3 * 4096) throw KvErrors.KeyTooLong(encoded.Length, 512);
        Span<byte> bytes = stackalloc byte[encoded.Length];
        int n = PercentDecode(encoded, bytes);
        if (n < 0) throw KvErrors.KeyNotDecodable();
        return KeyName.FromUtf8(bytes[..n]);
    }

    /// <summary>
    /// Decodes %XX escapes into <paramref name="bytes"/> (at least as long as <paramref name="encoded"/>), and
    /// '+' into a space when <paramref name="plusIsSpace"/> (query strings): the byte count, or -1 for a
    /// malformed escape or a character that is not ASCII (Kestrel refuses raw non-ASCII targets itself).
    /// </summary>
    internal static int PercentDecode(ReadOnlySpan<char> encoded, Span<byte> bytes, bool plusIsSpace = false)
    {
        int n = 0;
        for (int i = 0; i < encoded.Length; i++)
        {
            char c = encoded[i];
            if (c == '%')
            {
                if (i + 2 >= encoded.Length || !IsHex(encoded[i + 1]) || !IsHex(encoded[i + 2])) return -1;
                bytes[n++] = (byte)(HexValue(encoded[i + 1]) << 4 | HexValue(encoded[i + 2]));
                i += 2;
            }
            else if (c < 0x80) bytes[n++] = c == '+' && plusIsSpace ? (byte)' ' : (byte)c;
            else return -1;
        }
        return n;
    }

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);
    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
