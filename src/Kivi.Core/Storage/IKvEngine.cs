namespace Kivi.Core.Storage;

/// <summary>
/// A storage engine: a store with every capability (reading, writing, the change log, the catalog, snapshots,
/// maintenance, usage). SQLite and PostgreSQL implement it; a cache in front of a store implements only what it adds
/// (<see cref="IKvReads"/>, and <see cref="IKvWrites"/> for a single node's), an edge only <see cref="IKvReads"/>.
/// </summary>
public interface IKvEngine : IKvReads, IKvWrites, IKvChangeLog, IKvCatalog, IKvSnapshots, IKvMaintenance, IKvUsage, IAsyncDisposable
{
    /// <summary>What and where the store is, for the start-up log ("SQLite at /data/kivi.db").</summary>
    string Description { get; }

    /// <summary>A problem with how the store is set up that an operator should hear of at start (null when none).</summary>
    string? Warning { get; }

    /// <summary>Writes queued for the writer right now (a metric: a queue that grows is a writer that cannot keep up).</summary>
    int QueuedWrites { get; }

    /// <summary>Asks the store something cheap now; throws if it cannot answer (readiness).</summary>
    Task PingAsync(CancellationToken cancellationToken);

    /// <summary>Opens the store, creating or migrating its schema.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);
}
