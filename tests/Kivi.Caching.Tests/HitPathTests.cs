using System.Diagnostics;

namespace Kivi.Caching.Tests;

/// <summary>The parts of the hit path that trade exactness for nanoseconds: the coarse clock and the relaxed hit counter.</summary>
public sealed class HitPathTests
{
    [Fact]
    public async Task The_coarse_clock_runs_ahead_of_the_real_clock_by_at_most_its_lead_and_keeps_moving()
    {
        CoarseClock.Start();
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
