using Kivi.Protocol;

namespace Kivi.Server.Usage;

/// <summary>Where a node's counted reads and lists go: its own store, or (an edge) its upstream.</summary>
internal interface IUsageSink
{
    /// <summary>
    /// Takes <paramref name="rows"/> in hand (an empty list: only retries what is pending). Returns once they are
    /// applied or kept safe for a later try; throws only when they could be neither (they are then retried next time).
    /// </summary>
    Task SendAsync(IReadOnlyList<UsageCount> rows, CancellationToken cancellationToken);
}
