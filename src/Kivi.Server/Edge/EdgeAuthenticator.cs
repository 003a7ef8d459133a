using System.Collections.Concurrent;
using Kivi.Core.Access;
using Kivi.Server.Rest;

namespace Kivi.Server.Edge;

/// <summary>
/// Checks a client's token at an edge by asking the upstream who it is (by hash; the token itself never
/// leaves the request), remembering the answer for a short while so hot reads do not pay a round trip.
/// A revoked token stops working at the edges within that time; while the upstream is unreachable, a token
/// confirmed within <paramref name="outageGrace"/> is still honoured, and any other is answered 503.
/// </summary>
internal sealed class EdgeAuthenticator(EdgeUpstreamApi upstream, TimeProvider time, TimeSpan remember, TimeSpan? outageGrace) : ICallerAuthenticator
{
    private readonly TimeSpan _outageGrace = outageGrace ?? remember * 12;

    /// <summary>An unknown token is asked about again soon: it may just have been created.</summary>
    private static readonly TimeSpan NegativeRemember = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Answers by token value, so a hot read costs a lookup, not a hash. Holds only what requests already
    /// carry in memory; bounded, so a flood of random tokens cannot grow it.
    /// </summary>
    private readonly ConcurrentDictionary<string, (Caller? Caller, long At)> _known = new(StringComparer.Ordinal);
    private readonly SingleFlight<Caller?> _asking = new();

    /// <summary>The caller of a token this edge confirmed recently, without asking upstream; null otherwise.</summary>
    public Caller? TryGetKnown(string token) =>
        _known.TryGetValue(token, out var known) && time.GetElapsedTime(known.At) < remember ? known.Caller : null;

    public async ValueTask<Caller?> AuthenticateAsync(string token, CancellationToken cancellationToken)
    {
        bool held = _known.TryGetValue(token, out var known);
        if (held && time.GetElapsedTime(known.At) < (known.Caller is null ? NegativeRemember : remember)) return known.Caller;
        Caller? caller;
        try
        {
            caller = await _asking.RunAsync(token, async () =>
            {
                var answer = await upstream.FindCallerAsync(TokenService.Hash(token), CancellationToken.None);
                if (_known.Count > 100_000) _known.Clear();
                _known[token] = (answer, time.GetTimestamp());
                return answer;
            }, cancellationToken);
        }
        catch (Kivi.Caching.UpstreamUnavailableException) when (held && known.Caller is not null && time.GetElapsedTime(known.At) < _outageGrace)
        {
            return known.Caller; // stale-if-error covers who may read, too, for a bounded time: the upstream cannot say otherwise now
        }
        catch (Kivi.Caching.UpstreamUnavailableException e)
        {
            throw new Kivi.Protocol.KvException(503, Kivi.Protocol.KvErrorCode.UpstreamUnavailable,
                $"This edge cannot reach its upstream to check the token: {e.Message}");
        }
        return caller;
    }
}
