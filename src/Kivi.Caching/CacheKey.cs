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

    /// <summary>
    /// The key bytes hashed with .NET's string hash (Marvin: randomized per process, so keys chosen by
    /// clients cannot be made to collide), two bytes per char and the odd last byte mixed in.
    /// </summary>
    internal static int Hash(string namespaceId, ReadOnlySpan<byte> key)
    {
        int h = string.GetHashCode(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, char>(key));
        if ((key.Length & 1) != 0) h = HashCode.Combine(h, key[^1]);
        return h ^ namespaceId.Length; // namespace ids are random: the key bytes carry the entropy
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
