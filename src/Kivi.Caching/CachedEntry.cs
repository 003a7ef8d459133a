namespace Kivi.Caching;

/// <summary>
/// What the cache knows of one key: its value (or that it is absent), the version of that value, and
/// <see cref="AsOf"/>, the upstream position at which it was known current. Immutable: a change replaces it.
/// </summary>
public sealed class CachedEntry
{
    public CachedEntry(byte[]? value, string? metadata, long? expiration, long version, long asOf, long knownAt)
    {
        Value = value;
        Metadata = metadata;
        Expiration = expiration;
        Version = version;
        AsOf = Math.Max(asOf, version);
        KnownAt = knownAt;
    }

    /// <summary>The value, or null when the key is absent (a cached miss).</summary>
    public byte[]? Value { get; }
    public string? Metadata { get; }

    /// <summary>Absolute expiration in Unix seconds.</summary>
    public long? Expiration { get; }

    /// <summary>The version of the change that wrote the value (0 for an absent key).</summary>
    public long Version { get; }

    /// <summary>The upstream position this entry reflects: every change up to it is included.</summary>
    public long AsOf { get; }

    /// <summary>When (a <see cref="TimeProvider"/> timestamp) this entry was last known current.</summary>
    public long KnownAt { get; }

    public bool IsPresent => Value is not null;

    /// <summary>The version as decimal text, formatted once per entry rather than once per read.</summary>
    public string VersionText => _versionText ??= Version.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The position as decimal text, formatted once per entry.</summary>
    public string AsOfText => _asOfText ??= AsOf.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The version in double quotes (an entity tag), formatted once per entry.</summary>
    public string QuotedVersionText => _quotedVersionText ??= "\"" + VersionText + "\"";

    private string? _versionText, _asOfText, _quotedVersionText;

    public bool IsExpiredAt(long unixSeconds) => Kivi.Protocol.Expiration.IsExpired(Expiration, unixSeconds);

    /// <summary>The approximate bytes this entry holds: what the cache's byte bound counts.</summary>
    internal long Weight(int keyBytes) => Overhead + keyBytes + (Value?.Length ?? 0) + (Metadata?.Length ?? 0) * 2L;

    /// <summary>
    /// The entry object, its node, the dictionary slot, the key array's headers, and the three header texts a
    /// hot read formats once (measured by the cache benchmark: <c>Kivi.Benchmarks cache</c>).
    /// </summary>
    internal const int Overhead = 365;
}
