namespace Kivi.Caching;

/// <summary>
/// An upstream's answer for one key. <see cref="AsOf"/> is the upstream position the answer reflects
/// (its head before the read), so the cache can tell a late answer from a fresh one. Values larger than
/// the cache takes arrive as <see cref="Body"/>, a stream the reader must dispose.
/// </summary>
public sealed class UpstreamRead : IAsyncDisposable
{
    public static UpstreamRead Missing(long asOf) => new() { AsOf = asOf };

    public bool Found { get; init; }
    public byte[]? Value { get; init; }
    public Stream? Body { get; init; }
    public long Length { get; init; }
    public string? Metadata { get; init; }
    public long? Expiration { get; init; }
    public long Version { get; init; }
    public long AsOf { get; init; }

    /// <summary>The store the answer came from (<see cref="Kivi.Protocol.KiviHeaders.Store"/>), when the upstream says.</summary>
    public string? StoreId { get; init; }

    /// <summary>The store's epoch when it answered (<see cref="Kivi.Protocol.KiviHeaders.Epoch"/>), when the upstream says.</summary>
    public long? Epoch { get; init; }

    public ValueTask DisposeAsync() => Body?.DisposeAsync() ?? ValueTask.CompletedTask;
}
