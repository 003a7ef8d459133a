using System.Collections.Concurrent;
using Kivi.Core.Access;
using Kivi.Server.Rest;

namespace Kivi.Server.Edge;

/// <summary>
/// Checks a client's token at an edge by asking the upstream who it is (by hash; the token itself never
/// leaves the request), remembering the answer for a short while so hot reads do not pay a round trip.
/// A revoked token stops working at the edges within that time.
/// </summary>
internal sealed class EdgeAuthenticator(EdgeUpstreamApi upstream, TimeProvider time, TimeSpan remember) : ICallerAuthenticator
{
    /// <summary>An unknown token is asked about again soon: it may just have been created.</summary>
    private static readonly TimeSpan NegativeRemember = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, (Caller? Caller, long At)> _known = new(StringComparer.Ordinal);

    /// <summary>The caller of a token this edge checked recently, without asking upstream; null otherwise.</summary>
    public Caller? TryGetKnown(string token) =>
        _recent.TryGetValue(token, out var known) && time.GetElapsedTime(known.At) < remember ? known.Caller : null;

    /// <summary>
    /// Valid tokens by value, for the hot path (no hash per read). Holds only what requests already carry
    /// in memory, for at most the remember time, and only for tokens the upstream confirmed.
    /// </summary>
    private readonly ConcurrentDictionary<string, (Caller Caller, long At)> _recent = new(StringComparer.Ordinal);

    public async ValueTask<Caller?> AuthenticateAsync(string token, CancellationToken cancellationToken)
    {
        var hash = TokenService.Hash(token);
        string id = Convert.ToHexString(hash);
        bool held = _known.TryGetValue(id, out var known);
        if (held && time.GetElapsedTime(known.At) < (known.Caller is null ? NegativeRemember : remember)) return known.Caller;
        Caller? caller;
        try
        {
            caller = await upstream.FindCallerAsync(hash, cancellationToken);
        }
        catch (Kivi.Caching.UpstreamUnavailableException) when (held && known.Caller is not null)
        {
            return known.Caller; // stale-if-error covers who may read, too: the upstream cannot say otherwise now
        }
        if (_known.Count > 100_000) _known.Clear(); // bounded: a flood of random tokens must not grow memory
        long now = time.GetTimestamp();
        _known[id] = (caller, now);
        if (caller is not null)
        {
            if (_recent.Count > 10_000) _recent.Clear();
            _recent[token] = (caller, now);
        }
        return caller;
    }
}
