namespace Kivi.Core.Storage;

/// <summary>
/// What a read found, and what it reflects: <see cref="AsOf"/>, the position (version) the answer includes every
/// change up to (a store: its head when the read began), and <see cref="Stale"/>, how far past its cacheTtl a cache
/// served it because its upstream failed (null when fresh).
/// </summary>
public readonly record struct KvRead<T>(T Value, long AsOf, TimeSpan? Stale = null)
{
    /// <summary>The same position and staleness with another value.</summary>
    public KvRead<TOther> With<TOther>(TOther value) => new(value, AsOf, Stale);
}

/// <summary>Builds a store's answers: its head, taken before the read, is the position the answer reflects.</summary>
public static class KvRead
{
    /// <summary>The result of <paramref name="read"/>, as of <paramref name="asOf"/> (evaluate it first: <c>At(HeadVersion, ReadAsync(…))</c>).</summary>
    public static async ValueTask<KvRead<T>> At<T>(long asOf, ValueTask<T> read) => new(await read, asOf);
}
