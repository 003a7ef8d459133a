using System.Diagnostics;

namespace Kivi.Caching;

/// <summary>
/// The cache hit's clock: now, as a <see cref="Stopwatch"/> timestamp (the monotonic clock <see cref="TimeProvider.System"/>
/// uses), read with one memory load. A thread of its own (not the thread pool, so a starved pool cannot hold it back)
/// publishes the time every few milliseconds, pushed <see cref="LeadMs"/> ahead of the real clock: between two ticks the
/// published time stays ahead, so an entry's age read from it errs on the old side (an entry goes stale a little early,
/// never late). Only a tick later than the lead (the thread not scheduled for more than that while readers are) could make
/// an age read young, by as much as it is late.
/// </summary>
/// <remarks>
/// Reading the kernel's clock on every hit cost more than the rest of the freshness check (a call into the vDSO, 3–7 ns);
/// this is a load. The thread wakes <c>1000 / TickMs</c> times a second for the life of the process once any cache on the
/// system clock exists; each wake is a clock read and a store.
/// </remarks>
internal static class CoarseClock
{
    /// <summary>How often the time is published.</summary>
    internal const int TickMs = 4;

    /// <summary>How far ahead of the real clock the published time is: a tick and a margin for a late wake.</summary>
    internal const int LeadMs = 20;

    private static readonly long Lead = Stopwatch.Frequency / 1000 * LeadMs;
    private static long _now;
    private static int _started;
    private static readonly Lock Starting = new();

    /// <summary>Now, at least the real monotonic time while the clock's thread keeps its schedule; <see cref="Start"/> first.</summary>
    public static long Now => Volatile.Read(ref _now);

    /// <summary>Publishes the time and starts the thread that keeps it current, once per process; later calls return at once.</summary>
    public static void Start()
    {
        if (Volatile.Read(ref _started) != 0) return;
        lock (Starting)
        {
            if (_started != 0) return;
            Publish(); // current before any cache can read it: a cache that sees the clock started never reads 0
            new Thread(Run) { IsBackground = true, Name = "Kivi cache clock", Priority = ThreadPriority.AboveNormal }.Start();
            Volatile.Write(ref _started, 1);
        }
    }

    private static void Publish() => Volatile.Write(ref _now, Stopwatch.GetTimestamp() + Lead);

    private static void Run()
    {
        while (true)
        {
            Thread.Sleep(TickMs);
            Publish();
        }
    }
}
