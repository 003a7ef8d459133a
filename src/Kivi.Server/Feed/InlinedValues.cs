using Kivi.Core.Storage;

namespace Kivi.Server.Feed;

/// <summary>
/// What the feed inlined for recent changes, shared by every feed and watch this store serves: the first to send a
/// change reads its value from the store, the others (eight edges, a hundred watches) reuse the answer instead of
/// reading it again. A change's inlined value is the value written at that version, whoever asks and when, so the
/// answer never goes stale; a change found already superseded (nothing to inline) is remembered as such too.
/// Small values only (up to 4 KiB, 4,096 changes: at most 16 MiB); a larger one is read by each feed.
/// </summary>
internal sealed class InlinedValues
{
    private const int Slots = 4096;
    public const int MaxSharedBytes = 4096;
    private readonly Entry?[] _slots = new Entry?[Slots];

    /// <summary>A change's inlined value and metadata, or none (<see cref="Value"/> null: not inlined).</summary>
    public sealed record Entry(long Version, byte[]? Value, string? Metadata);

    public Entry? Find(long version) => Volatile.Read(ref _slots[(int)(version & (Slots - 1))]) is { } e && e.Version == version ? e : null;

    public void Remember(Entry entry)
    {
        if (entry.Value is { Length: > MaxSharedBytes }) return;
        Volatile.Write(ref _slots[(int)(entry.Version & (Slots - 1))], entry);
    }
}
