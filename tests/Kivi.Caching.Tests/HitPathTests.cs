using System.Diagnostics;

namespace Kivi.Caching.Tests;

/// <summary>The parts of the hit path that trade exactness for nanoseconds: the coarse clock and the relaxed hit counter.</summary>
public sealed class HitPathTests
{
    [Fact]
    public async Task The_coarse_clock_runs_ahead_of_the_real_clock_by_at_most_its_lead_and_keeps_moving()
    {
        CoarseClock.Start();
        CoarseClock.Wake(); // it may have parked (other tests' caches started it earlier); it ticks for a second from here
        long lead = Stopwatch.Frequency / 1000 * CoarseClock.LeadMs;
        long first = CoarseClock.Now;
        // Published as the real time plus the lead, so never further ahead than the lead, however late its thread.
        Assert.True(first - Stopwatch.GetTimestamp() <= lead, "the coarse clock is more than its lead ahead of the real clock");
        // It moves by itself: a clock that stopped would make every cached entry look as young as when it stopped.
        var deadline = Stopwatch.StartNew();
        while (CoarseClock.Now == first)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(10), "the coarse clock did not move in 10 s");
            await Task.Delay(1, TestContext.Current.CancellationToken);
        }
        Assert.True(CoarseClock.Now > first);
    }

    /// <summary>
    /// An idle process does not keep the clock's thread ticking: it parks, and a hit that then finds every entry stale
    /// wakes it and is still answered from memory. (This class's tests share the process-wide clock: each waits for
    /// the state it needs rather than assuming it.)
    /// </summary>
    [Fact]
    public async Task The_coarse_clock_parks_when_nobody_reads_and_a_hit_wakes_it()
    {
        var cache = new KvCache(new ScriptedUpstream(), new KvCacheOptions(), TimeProvider.System); // the system clock: hits read the coarse clock
        cache.Apply(Kivi.Protocol.FeedEvent.Heartbeat(0));
        var key = new CacheKey("ns", "k"u8.ToArray());
        cache.ObserveWrite(key, 1, cache.WrittenEntry("v"u8.ToArray(), null, null, 1), epoch: null);
        Assert.NotNull(cache.TryGetFresh(key, TimeSpan.FromMinutes(1)));

        var deadline = Stopwatch.StartNew();
        while (CoarseClock.Now != CoarseClock.Parked)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), "the coarse clock did not park in 30 s without readers");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        long before = Stopwatch.GetTimestamp();
        Assert.NotNull(cache.TryGetFresh(key, TimeSpan.FromMinutes(1))); // a hit, though the parked clock read it stale
        long now = CoarseClock.Now;
        Assert.NotEqual(CoarseClock.Parked, now); // woken: the next hits take the fast path again
        // A real time again: no more than its lead ahead, and not far behind (its thread may be descheduled on a busy machine).
        Assert.InRange(now - before, -Stopwatch.Frequency, Stopwatch.Frequency / 1000 * CoarseClock.LeadMs + (Stopwatch.GetTimestamp() - before));
        Assert.Null(cache.TryGetFresh(key, TimeSpan.Zero)); // and an entry that is stale still reads stale
    }

    [Fact]
    public void Starting_the_coarse_clock_twice_starts_one_thread()
    {
        CoarseClock.Start();
        CoarseClock.Start();
        Assert.Equal(1, CoarseClockThreads());
    }

    private static int CoarseClockThreads() =>
        Directory.EnumerateDirectories($"/proc/{Environment.ProcessId}/task")
            .Count(task => File.ReadAllText(Path.Combine(task, "comm")).Trim() == "Kivi cache cloc"); // the kernel keeps 15 characters of a name

    [Fact]
    public void Relaxed_hits_from_one_thread_are_all_counted_and_hits_from_many_are_summed()
    {
        var counter = new StripedCounter();
        for (int i = 0; i < 1000; i++) counter.IncrementRelaxed();
        Assert.Equal(1000, counter.Sum());

        // Threads whose stacks lie apart count on stripes of their own; the sum sees each thread's counts once done.
        var threads = Enumerable.Range(0, 4).Select(_ => new Thread(() =>
        {
            for (int i = 0; i < 10_000; i++) counter.IncrementRelaxed();
        })).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        long sum = counter.Sum();
        // Relaxed: two threads sharing a stripe may lose a few counts, never add any.
        Assert.InRange(sum, 1000 + 10_000, 1000 + 40_000);
    }
}
