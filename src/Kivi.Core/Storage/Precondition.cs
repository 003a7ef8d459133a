using Kivi.Protocol;
namespace Kivi.Core.Storage;

/// <summary>
/// What a conditional put requires of the entry it replaces, checked by the engine inside the write's
/// transaction: a version the live entry must have (<c>If-Match</c>), or no live entry (<c>If-None-Match: *</c>).
/// An entry expired at <paramref name="Now"/> counts as absent.
/// </summary>
public sealed record Precondition(long? MatchVersion, bool MustBeAbsent, long Now)
{
    /// <summary>Whether an entry with <paramref name="version"/> (null when there is none) and <paramref name="expiration"/> satisfies it.</summary>
    public bool IsMetBy(long? version, long? expiration)
    {
        bool live = version is not null && !Expiration.IsExpired(expiration, Now);
        if (MustBeAbsent) return !live;
        return live && version == MatchVersion;
    }
}
