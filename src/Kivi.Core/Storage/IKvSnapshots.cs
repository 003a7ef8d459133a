namespace Kivi.Core.Storage;

/// <summary>Consistent views of a whole store, for export and backup while it keeps serving.</summary>
public interface IKvSnapshots
{
    /// <summary>Opens a read-only view of the whole store as of one version (see <see cref="IKvSnapshot"/>).</summary>
    ValueTask<IKvSnapshot> OpenSnapshotAsync(CancellationToken cancellationToken);
}
