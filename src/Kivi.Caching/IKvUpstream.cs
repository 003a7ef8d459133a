namespace Kivi.Caching;

/// <summary>Where the cache fills from: an origin or another edge over HTTP, or a local store in process.</summary>
public interface IKvUpstream
{
    /// <summary>Reads a key; a missing key is a result (<see cref="UpstreamRead.Found"/> false), not an exception.</summary>
    Task<UpstreamRead> GetAsync(CacheKey key, CancellationToken cancellationToken);

    /// <summary>Lists up to <paramref name="limit"/> live keys under <paramref name="prefix"/> after <paramref name="startAfter"/>, in byte order.</summary>
    Task<UpstreamList> ListAsync(string namespaceId, byte[] prefix, byte[]? startAfter, int limit, CancellationToken cancellationToken);
}
