using System.Collections.Concurrent;
using System.Globalization;
using Kivi.Protocol;

namespace Kivi.Server.Usage;

/// <summary>The latest check-in of each edge that reports to this store (in memory: an edge checks in every usage interval).</summary>
internal sealed class EdgeRegistry(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, (EdgeCheckIn Edge, DateTimeOffset At)> _edges = new(StringComparer.Ordinal);

    public void Seen(EdgeCheckIn edge) => _edges[edge.Name] = (edge, time.GetUtcNow());

    public List<EdgeSeen> All() => _edges.Values.OrderBy(e => e.Edge.Name, StringComparer.Ordinal)
        .Select(e => new EdgeSeen(e.Edge, e.At.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture))).ToList();
}
