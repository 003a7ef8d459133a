namespace Kivi.Protocol;

/// <summary>
/// The answer of Kivi's usage endpoint (<see cref="Route"/>), shaped like Cloudflare's former KV analytics endpoint:
/// one datum per period (and per namespace, unless one was asked for), the totals over the range, and the storage now.
/// </summary>
public sealed record UsageAnswer(IReadOnlyList<UsageDatum> Data, UsageMetrics Totals, string Since, string Until, string Step, IReadOnlyList<StorageDatum> Storage)
{
    /// <summary>Under the account: <c>GET …/storage/kv/usage?since&amp;until&amp;step=hour|day&amp;namespace_id</c>.</summary>
    public const string Route = "/accounts/{account_id}/storage/kv/usage";

    public static string Path(string accountId) => $"client/v4/accounts/{Uri.EscapeDataString(accountId)}/storage/kv/usage";
}

/// <summary>One period of one namespace: the start of the period (ISO 8601, UTC) and the namespace.</summary>
public sealed record UsageDimensions(string Time, string NamespaceId);

/// <summary>The figures of a period.</summary>
public sealed record UsageDatum(UsageDimensions Dimensions, UsageMetrics Metrics);

/// <summary>
/// Operations by Workers KV's billing kinds, bytes read and written (values), and the namespace's stored keys and bytes
/// (keys, values and metadata) at the end of the period's last write, where it had one.
/// </summary>
public sealed record UsageMetrics(long Reads, long Writes, long Deletes, long Lists, long ReadBytes, long WriteBytes, long? StoredKeys = null, long? StoredBytes = null);

/// <summary>What a namespace stores now: keys and bytes (keys, values and metadata), kept as writes happen.</summary>
public sealed record StorageDatum(string NamespaceId, long Keys, long Bytes);
