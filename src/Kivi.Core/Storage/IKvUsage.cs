namespace Kivi.Core.Storage;

/// <summary>
/// Usage by operation, as Workers KV prices it, kept by the store: writes and deletes counted in the transaction that
/// makes them (<see cref="ChangeAuthor"/>), reads and lists added by reports (<see cref="RecordUsage"/>), and storage
/// (keys and bytes per namespace) kept as writes happen, never by scanning.
/// </summary>
public interface IKvUsage
{
    /// <summary>Hourly usage of an account's namespaces (or of one) for hours in [<paramref name="sinceHour"/>, <paramref name="untilHour"/>), oldest first.</summary>
    ValueTask<IReadOnlyList<UsageRecord>> ReadUsageAsync(string accountId, string? namespaceId, long sinceHour, long untilHour, CancellationToken cancellationToken);

    /// <summary>What each of an account's namespaces stores now.</summary>
    ValueTask<IReadOnlyList<StorageUsage>> ReadStorageAsync(string accountId, CancellationToken cancellationToken);
}
