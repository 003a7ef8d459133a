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
/// this is a load. So that an idle process does not wake <c>1000 / TickMs</c> times a second for nothing, the thread parks
/// <see cref="AwakeMs"/> after it was last woken and publishes <see cref="Parked"/>, a time so far ahead that every entry
/// reads stale: the hit's slow path then calls <see cref="Wake"/>, which publishes the time at once and starts the ticks
/// again. A process that keeps reading pays one wake per <see cref="AwakeMs"/>; one that stops pays nothing.
/// </remarks>
internal static class CoarseClock
{
    /// <summary>How often the time is published.</summary>
    internal const int TickMs = 4;

    /// <summary>How far ahead of the real clock the published time is: a tick and a margin for a late wake.</summary>
    internal const int LeadMs = 20;

    /// <summary>How long the thread ticks after a wake before it parks.</summary>
    internal const int AwakeMs = 1000;

    /// <summary>Published while parked: every age read from it is older than any cacheTtl, so hits go to <see cref="Wake"/>.</summary>
    internal const long Parked = long.MaxValue / 2;

    private static readonly long Lead = Stopwatch.Frequency / 1000 * LeadMs;
    private static long _now;
    private static long _wokenAt;
    private static int _started;
    private static readonly Lock Gate = new();
    private static readonly SemaphoreSlim Woken = new(0);

    /// <summary>Now, at least the real monotonic time while the clock's thread keeps its schedule, or <see cref="Parked"/>; <see cref="Start"/> first.</summary>
    public static long Now => Volatile.Read(ref _now);

    /// <summary>Publishes the time and starts the thread that keeps it current, once per process; later calls return at once.</summary>
    public static void Start()
    {
        if (Volatile.Read(ref _started) != 0) return;
        lock (Gate)
        {
            if (_started != 0) return;
            Publish(); // current before any cache can read it: a cache that sees the clock started never reads 0
            _wokenAt = Stopwatch.GetTimestamp();
            new Thread(Run) { IsBackground = true, Name = "Kivi cache clock", Priority = ThreadPriority.AboveNormal }.Start();
            Volatile.Write(ref _started, 1);
        }
    }

    /// <summary>
    /// For a hit that read its entry as stale: if the clock is parked, publishes the time, starts the ticks again and
    /// returns the time to judge by; otherwise <see cref="long.MaxValue"/> (the entry really is stale).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)] // the hit's cold branch
    public static long Wake()
    {
        if (Volatile.Read(ref _now) != Parked) return long.MaxValue;
        lock (Gate)
        {
            if (_now == Parked)
            {
                Publish();
                _wokenAt = Stopwatch.GetTimestamp();
                Woken.Release();
            }
            return _now;
        }
    }

    private static void Publish() => Volatile.Write(ref _now, Stopwatch.GetTimestamp() + Lead);

    private static void Run()
    {
        while (true)
        {
            Thread.Sleep(TickMs);
            lock (Gate)
            {
                if (Stopwatch.GetElapsedTime(_wokenAt).TotalMilliseconds < AwakeMs)
                {
                    Publish();
                    continue;
                }
                Volatile.Write(ref _now, Parked);
            }
            Woken.Wait();
        }
    }
}
