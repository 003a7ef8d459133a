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

    public override int GetHashCode() => Hash(NamespaceId, Key);

    internal static int Hash(string namespaceId, ReadOnlySpan<byte> key)
    {
        var hash = new HashCode();
        hash.AddBytes(key);
        hash.Add(namespaceId.Length); // namespace ids are random: the key bytes carry the entropy
        return hash.ToHashCode();
    }

    public static bool operator ==(CacheKey left, CacheKey right) => left.Equals(right);
    public static bool operator !=(CacheKey left, CacheKey right) => !left.Equals(right);

    public override string ToString() => $"{NamespaceId}/{System.Text.Encoding.UTF8.GetString(Key)}";
}

/// <summary>A key to look up without allocating one: a namespace and the key's UTF-8 bytes on the stack.</summary>
public readonly ref struct CacheKeySpan(string namespaceId, ReadOnlySpan<byte> key)
{
    public string NamespaceId { get; } = namespaceId;
    public ReadOnlySpan<byte> Key { get; } = key;
}

/// <summary>Compares <see cref="CacheKey"/>s, and looks them up by <see cref="CacheKeySpan"/> with the same hash.</summary>
internal sealed class CacheKeyComparer : IEqualityComparer<CacheKey>, IAlternateEqualityComparer<CacheKeySpan, CacheKey>
{
    public static readonly CacheKeyComparer Instance = new();

    public bool Equals(CacheKey x, CacheKey y) => x.Equals(y);
    public int GetHashCode(CacheKey obj) => obj.GetHashCode();
    public bool Equals(CacheKeySpan alternate, CacheKey other) =>
        alternate.Key.SequenceEqual(other.Key) && string.Equals(alternate.NamespaceId, other.NamespaceId, StringComparison.Ordinal);
    public int GetHashCode(CacheKeySpan alternate) => CacheKey.Hash(alternate.NamespaceId, alternate.Key);
    public CacheKey Create(CacheKeySpan alternate) => new(alternate.NamespaceId, alternate.Key.ToArray());
}
