namespace Kivi.Core.Storage;

/// <summary>
/// An entry with its value. Small values arrive inline; large ones as a stream that holds the engine's
/// read snapshot open until this object is disposed, so a 25 MiB value is never copied whole.
/// </summary>
public sealed class StoredValue : IAsyncDisposable
{
    private readonly IAsyncDisposable? _owner;

    public StoredValue(ReadOnlyMemory<byte> inline, string? metadata, long? expiration, long version)
    {
        Inline = inline;
        Length = inline.Length;
        Metadata = metadata;
        Expiration = expiration;
        Version = version;
    }

    public StoredValue(Stream stream, long length, IAsyncDisposable? owner, string? metadata, long? expiration, long version)
    {
        Stream = stream;
        Length = length;
        _owner = owner;
        Metadata = metadata;
        Expiration = expiration;
        Version = version;
    }

    public long Length { get; }
    public ReadOnlyMemory<byte> Inline { get; }
    public Stream? Stream { get; }
    public string? Metadata { get; }
    public long? Expiration { get; }
    public long Version { get; }

    /// <summary>Writes the value to <paramref name="destination"/>.</summary>
    public async Task CopyToAsync(Stream destination, CancellationToken cancellationToken)
    {
        if (Stream is { } s) await s.CopyToAsync(destination, 64 * 1024, cancellationToken);
        else await destination.WriteAsync(Inline, cancellationToken);
    }

    /// <summary>Reads the whole value into memory (for bulk get, which answers in JSON).</summary>
    public async Task<ReadOnlyMemory<byte>> ReadAllAsync(CancellationToken cancellationToken)
    {
        if (Stream is not { } s) return Inline;
        var bytes = new byte[Length];
        await s.ReadExactlyAsync(bytes, cancellationToken);
        return bytes;
    }

    public async ValueTask DisposeAsync()
    {
        if (Stream is { } s) await s.DisposeAsync();
        if (_owner is not null) await _owner.DisposeAsync();
    }
}
