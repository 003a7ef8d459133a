using Microsoft.AspNetCore.Routing.Patterns;

namespace Kivi.Server.Rest;

/// <summary>
/// Matches a request target, as sent, against one route of the route table (a <see cref="RoutePattern"/> of whole
/// literal and parameter segments, a catch-all last), without allocating: what lets the hot read path answer
/// ahead of routing by the same route the endpoint is mapped with, not by a matcher of its own.
/// </summary>
internal sealed class RawRouteMatcher
{
    private readonly string?[] _literals; // null: a parameter segment
    private readonly bool _catchAllLast;

    public RawRouteMatcher(RoutePattern pattern)
    {
        _literals = new string?[pattern.PathSegments.Count];
        for (int i = 0; i < _literals.Length; i++)
        {
            var segment = pattern.PathSegments[i];
            if (!segment.IsSimple) throw new ArgumentException($"Only whole-segment literals and parameters are supported: {pattern.RawText}", nameof(pattern));
            switch (segment.Parts[0])
            {
                case RoutePatternLiteralPart literal:
                    _literals[i] = literal.Content;
                    break;
                case RoutePatternParameterPart parameter:
                    if (parameter.IsCatchAll && i != _literals.Length - 1) throw new ArgumentException("A catch-all must be last.", nameof(pattern));
                    _catchAllLast |= parameter.IsCatchAll;
                    break;
                default:
                    throw new ArgumentException($"Unsupported route part in {pattern.RawText}", nameof(pattern));
            }
        }
        Parameters = _literals.Count(l => l is null);
    }

    /// <summary>How many parameters the route has, so how many ranges <see cref="TryMatch"/> fills.</summary>
    public int Parameters { get; }

    /// <summary>
    /// Whether <paramref name="path"/> (the raw path, no query) matches literally, case and escapes as sent; fills
    /// <paramref name="values"/> with each parameter's range, in order. Every parameter must be non-empty.
    /// </summary>
    public bool TryMatch(ReadOnlySpan<char> path, Span<Range> values)
    {
        if (path.IsEmpty || path[0] != '/') return false;
        int pos = 1, v = 0;
        for (int i = 0; i < _literals.Length; i++)
        {
            bool last = i == _literals.Length - 1;
            if (last && _catchAllLast)
            {
                if (pos >= path.Length) return false;
                values[v] = pos..path.Length;
                return true;
            }
            int slash = path[pos..].IndexOf('/');
            int end = slash < 0 ? path.Length : pos + slash;
            var segment = path[pos..end];
            if (_literals[i] is { } literal)
            {
                if (!segment.SequenceEqual(literal)) return false;
            }
            else
            {
                if (segment.IsEmpty) return false;
                values[v++] = pos..end;
            }
            if (last) return end == path.Length;
            if (end == path.Length) return false;
            pos = end + 1;
        }
        return false;
    }
}
