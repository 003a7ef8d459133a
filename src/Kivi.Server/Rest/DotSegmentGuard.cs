using Kivi.Core;
using Kivi.Protocol;
using Microsoft.AspNetCore.Http;

namespace Kivi.Server.Rest;

/// <summary>
/// Refuses request targets with "." or ".." segments (plain or percent-encoded). Kestrel removes such
/// segments before routing, so without this <c>DELETE …/values/..</c> would reach the namespace delete route.
/// </summary>
internal sealed class DotSegmentGuard(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var path = RawKey.RawPath(context).AsSpan();
        if (!HasDotSegment(path, out var segment, out bool last)) return next(context);
        var error = last && IsLastSegmentAfterKeyMarker(path) ? KvErrors.KeyIllegal(segment) :
            KvErrors.InvalidRequest($"The request path has a \"{segment}\" segment (plain or percent-encoded), which Kivi does not resolve: name the namespace and the key directly, and percent-encode \"/\" in key names as %2F.");
        return Envelope.ErrorAsync(context, error.StatusCode, KvErrorCode.InvalidKey, error.Message);
    }

    internal static bool HasDotSegment(ReadOnlySpan<char> path, out string segment) => HasDotSegment(path, out segment, out _);

    /// <summary>Whether the path has a dot segment; <paramref name="last"/> when it is the final one (a key named "." or "..").</summary>
    internal static bool HasDotSegment(ReadOnlySpan<char> path, out string segment, out bool last)
    {
        segment = "";
        last = false;
        foreach (var range in path.Split('/'))
        {
            var part = path[range];
            string decoded = part.ToString().Replace("%2E", ".", StringComparison.OrdinalIgnoreCase);
            if (decoded is "." or "..")
            {
                segment = decoded;
                last = range.End.GetOffset(path.Length) == path.Length;
                return true;
            }
        }
        return false;
    }

    private static bool IsLastSegmentAfterKeyMarker(ReadOnlySpan<char> path)
    {
        int last = path.LastIndexOf('/');
        if (last <= 0) return false;
        var before = path[..last];
        return before.EndsWith("/values", StringComparison.Ordinal) || before.EndsWith("/metadata", StringComparison.Ordinal);
    }
}
