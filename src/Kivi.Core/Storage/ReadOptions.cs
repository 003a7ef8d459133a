namespace Kivi.Core.Storage;

/// <summary>
/// What a read asks of whatever answers it: the time it is made (epoch seconds, for expiry), the freshness it
/// accepts (<see cref="CacheTtl"/>, null for the default), whether it must pass every cache (<see cref="Strong"/>),
/// and whether an edge filling its own cache is asking (<see cref="FromEdge"/>: a store answers it from the store
/// itself, never from an in-process cache).
/// </summary>
public readonly record struct ReadOptions(long Now)
{
    public TimeSpan? CacheTtl { get; init; }

    /// <summary><c>consistency=strong</c> (Kivi's addition): no cache answers; a store reads itself, an edge forwards.</summary>
    public bool Strong { get; init; }

    public bool FromEdge { get; init; }

    /// <summary>Whether a cache in front of the store may answer.</summary>
    public bool MayUseCache => !Strong && !FromEdge;
}
