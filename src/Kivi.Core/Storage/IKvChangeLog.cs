namespace Kivi.Core.Storage;

/// <summary>The change log and durable head a store keeps: the source of the change feed.</summary>
public interface IKvChangeLog
{
    /// <summary>The newest version known to be on disk: a change feed never publishes past it.</summary>
    long DurableHeadVersion { get; }

    /// <summary>Completes once the durable head passes <paramref name="version"/> (at once if it already has).</summary>
    Task WaitForDurableAsync(long version, CancellationToken cancellationToken);

    /// <summary>Reads the change log after <paramref name="afterVersion"/>, oldest first.</summary>
    ValueTask<IReadOnlyList<ChangeRecord>> ReadChangesAsync(long afterVersion, int limit, CancellationToken cancellationToken);

    /// <summary>The audit: changes of a namespace or a key with who made them, newest first (as far back as the log is retained).</summary>
    ValueTask<IReadOnlyList<AuditRecord>> ReadAuditAsync(AuditQuery query, CancellationToken cancellationToken);
}
