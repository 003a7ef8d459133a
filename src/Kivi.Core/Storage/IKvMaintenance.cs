namespace Kivi.Core.Storage;

/// <summary>Maintenance, apart from data operations: purging expired rows and trimming the change log.</summary>
public interface IKvMaintenance
{
    /// <summary>Deletes up to <paramref name="maxRows"/> entries expired at <paramref name="now"/>, logging an expire change for each.</summary>
    Task<int> PurgeExpiredAsync(long now, int maxRows, CancellationToken cancellationToken);

    /// <summary>Drops change-log rows at or below <paramref name="upToVersion"/>.</summary>
    Task<int> TrimChangesAsync(long upToVersion, CancellationToken cancellationToken);

    /// <summary>The oldest version the change log still holds, or the head + 1 when it is empty.</summary>
    ValueTask<long> OldestChangeAsync(CancellationToken cancellationToken);
}
