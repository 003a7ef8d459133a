namespace Kivi.Caching;

/// <summary>A key of a namespace, as UTF-8 bytes (the order and identity Workers KV uses).</summary>
public readonly struct CacheKey : IEquatable<CacheKey>
{
    public CacheKey(string namespaceId, byte[] key)
    {
        NamespaceId = namespaceId;
        Key = key;
    }

    public string NamespaceId { get; }
    public byte[] Key { get; }

    public bool Equals(CacheKey other) => Key.AsSpan().SequenceEqual(other.Key) && string.Equals(NamespaceId, other.NamespaceId, StringComparison.Ordinal);
    public override bool Equals(object? obj) => obj is CacheKey other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(Key);
        hash.Add(NamespaceId.Length); // namespace ids are random: the key bytes carry the entropy
        return hash.ToHashCode();
    }

    public static bool operator ==(CacheKey left, CacheKey right) => left.Equals(right);
    public static bool operator !=(CacheKey left, CacheKey right) => !left.Equals(right);

    public override string ToString() => $"{NamespaceId}/{System.Text.Encoding.UTF8.GetString(Key)}";
}
