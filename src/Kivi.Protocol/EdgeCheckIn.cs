namespace Kivi.Protocol;

/// <summary>
/// What an edge tells its upstream every usage interval (<see cref="Route"/>, with its replication token): its name and
/// how it is doing. The answer is the upstream's <see cref="QuotaState"/>. The store keeps the latest of each edge for
/// its operators (<see cref="ListRoute"/>: the cluster page).
/// </summary>
public sealed record EdgeCheckIn(string Name, string? Upstream, bool FeedConnected, long Position, long UpstreamHead, double LagSeconds,
    long Hits, long Misses, long Stale, long Resets, long Entries, long Bytes)
{
    public const string Route = "/kivi/edges/checkin", Path = "client/v4/kivi/edges/checkin";

    /// <summary>The edges that checked in, newest report each (GET, an admin token).</summary>
    public const string ListRoute = "/kivi/edges", ListPath = "client/v4/kivi/edges";
}

/// <summary>An edge as the store last heard of it: its check-in and when (ISO 8601, UTC).</summary>
public sealed record EdgeSeen(EdgeCheckIn Edge, string At);
