namespace Kivi.Protocol;

/// <summary>
/// Which store a feed position belongs to, and through which history: the store's identity (created with
/// it, kept in its data) and its epochs, newest last. A store opened again over the same data continues its
/// newest epoch's history with a new epoch, starting at its head; a store restored from an older copy starts
/// an epoch of its own from that copy's head, so a position taken from the lost history is recognised.
/// Carried by the first line of every change feed (<c>store</c>, <c>history</c>) and by every read answer
/// (<see cref="KiviHeaders.Store"/>); a follower resumes with <c>store</c> and <c>epoch</c> beside <c>after</c>.
/// </summary>
/// <param name="StoreId">Random, created with the store; a different one is a different store.</param>
/// <param name="History">The most recent epochs, oldest first (at most <see cref="MaxEpochs"/>).</param>
public sealed record StoreLineage(string StoreId, IReadOnlyList<StoreEpoch> History)
{
    /// <summary>How many epochs a store keeps and a feed carries; a follower from an older one starts again.</summary>
    public const int MaxEpochs = 32;

    /// <summary>The epoch the store is in now.</summary>
    public long CurrentEpoch => History[^1].Epoch;

    /// <summary>
    /// Whether a follower that applied every change up to <paramref name="position"/> while the store was in
    /// <paramref name="epoch"/> can resume here: the epoch is one of this history's, this history still
    /// followed it up to that position (the next epoch began at or after it), and the head has reached it.
    /// </summary>
    public bool Continues(long epoch, long position, long head)
    {
        if (position > head) return false;
        for (int i = 0; i < History.Count; i++)
            if (History[i].Epoch == epoch)
                return i == History.Count - 1 || History[i + 1].StartVersion >= position;
        return false;
    }

    /// <summary>The lineage as the feed's <c>history</c> field: <c>[[epoch, start], …]</c>.</summary>
    public void WriteHistory(System.Text.Json.Utf8JsonWriter w)
    {
        w.WriteStartArray("history");
        foreach (var e in History)
        {
            w.WriteStartArray();
            w.WriteNumberValue(e.Epoch);
            w.WriteNumberValue(e.StartVersion);
            w.WriteEndArray();
        }
        w.WriteEndArray();
    }

    /// <summary>Reads a feed line's <c>store</c> and <c>history</c>, or null when the line carries none.</summary>
    public static StoreLineage? Read(System.Text.Json.JsonElement line)
    {
        if (!line.TryGetProperty("store", out var store) || !line.TryGetProperty("history", out var history)) return null;
        var epochs = new List<StoreEpoch>(history.GetArrayLength());
        foreach (var e in history.EnumerateArray()) epochs.Add(new StoreEpoch(e[0].GetInt64(), e[1].GetInt64()));
        return epochs.Count == 0 ? null : new StoreLineage(store.GetString()!, epochs);
    }
}

/// <summary>
/// A version as seen in one epoch of a store: what a cache installed from outside its feed (a read's answer
/// as of that head, an acknowledged write), which the store must still have in its history for the cache to resume.
/// </summary>
public readonly record struct EpochPosition(long Epoch, long Version);

/// <summary>One epoch of a store's history: a random id, and the head version when it began.</summary>
public readonly record struct StoreEpoch(long Epoch, long StartVersion);
