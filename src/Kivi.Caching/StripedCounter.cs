using System.Runtime.InteropServices;

namespace Kivi.Caching;

/// <summary>A statistic bumped on every hit from many threads: each thread stripe has its own cache line.</summary>
public sealed class StripedCounter
{
    [StructLayout(LayoutKind.Explicit, Size = 128)]
    private struct Slot
    {
        [FieldOffset(64)] public long Value;
    }

    private readonly Slot[] _slots = new Slot[Math.Max(8, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Environment.ProcessorCount * 2))];

    /// <summary>Adds one, without contending with other threads (so without a cross-thread guarantee of order).</summary>
    public void Increment() => _slots[Environment.CurrentManagedThreadId & (_slots.Length - 1)].Value++;

    /// <summary>The total so far.</summary>
    public long Sum()
    {
        long sum = 0;
        for (int i = 0; i < _slots.Length; i++) sum += Volatile.Read(ref _slots[i].Value);
        return sum;
    }
}
