namespace Kivi.Protocol;

/// <summary>
/// Reads and lists a node served, sent to the store to be added to its usage table. An edge numbers its reports
/// (<see cref="Sequence"/>, from 1, per <see cref="Reporter"/>) and sends each until it is acknowledged; the store
/// applies each number once, so a report sent twice is counted once. A store's own reports carry no reporter.
/// </summary>
public sealed record UsageReport(string? Reporter, long Sequence, IReadOnlyList<UsageCount> Rows)
{
    /// <summary>Where an edge sends its reports (POST, with a replication or admin token of the upstream).</summary>
    public const string Route = "/kivi/usage/reports", Path = "client/v4/kivi/usage/reports";

    /// <summary>The start of the UTC hour holding <paramref name="unixMilliseconds"/>, in Unix seconds: the unit usage is kept in.</summary>
    public static long HourOf(long unixMilliseconds) => unixMilliseconds / 3_600_000 * 3600;
}

/// <summary>Reads (a read that finds nothing counts; a bulk get counts each key), lists and bytes read, for one namespace and one UTC hour.</summary>
public sealed record UsageCount(string AccountId, string NamespaceId, long Hour, long Reads, long Lists, long ReadBytes);
