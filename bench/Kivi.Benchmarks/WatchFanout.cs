using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;

namespace Kivi.Benchmarks;

/// <summary>
/// Watchers spread evenly over the given nodes watch one namespace; the origin takes one write at a time, and each
/// write is timed from its acknowledgement to its arrival at every watcher (the slowest one), then the next is made.
/// </summary>
internal static class WatchFanout
{
    public static async Task<int> RunAsync(Options o)
    {
        string token = o.Text("token");
        using var origin = Http.Client(o.Text("origin"), token);
        string[] nodes = o.Text("nodes").Split(',');
        int watchers = o.Int("watchers", 10_000), writes = o.Int("writes", 200);
        string path = await Http.NamespaceAsync(origin, "watch");
        var clients = nodes.Select(url =>
        {
            var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue }) { BaseAddress = new Uri(url), Timeout = Timeout.InfiniteTimeSpan };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return http;
        }).ToArray();

        var remaining = new int[writes];
        Array.Fill(remaining, watchers);
        var allArrived = new long[writes];
        var arrivals = new long[writes][];
        for (int i = 0; i < writes; i++) arrivals[i] = new long[watchers];
        using var stop = new CancellationTokenSource();
        int open = 0;
        var opened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reading = new List<Task>(watchers);
        using (var gate = new SemaphoreSlim(256))
        {
            for (int w = 0; w < watchers; w++)
            {
                int watcher = w;
                await gate.WaitAsync();
                reading.Add(Task.Run(async () =>
                {
                    HttpResponseMessage response;
                    try
                    {
                        response = await clients[watcher % clients.Length].GetAsync(path + "/changes?heartbeat_ms=5000", HttpCompletionOption.ResponseHeadersRead, stop.Token);
                        response.EnsureSuccessStatusCode();
                    }
                    finally
                    {
                        gate.Release();
                    }
                    using (response)
                    {
                        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(stop.Token));
                        if (Interlocked.Increment(ref open) == watchers) opened.TrySetResult();
                        while (await reader.ReadLineAsync(stop.Token) is { } line)
                        {
                            int at = line.IndexOf("\"key\":\"w", StringComparison.Ordinal);
                            if (at < 0) continue;
                            int start = at + 8, end = line.IndexOf('"', start);
                            int i = int.Parse(line.AsSpan(start, end - start), CultureInfo.InvariantCulture);
                            long now = Stopwatch.GetTimestamp();
                            arrivals[i][watcher] = now;
                            if (Interlocked.Decrement(ref remaining[i]) == 0) allArrived[i] = now;
                        }
                    }
                }));
            }
            // Every watch open (or one failed: its exception says why) before the gate goes away.
            await Task.WhenAny(opened.Task, Task.WhenAll(reading)).WaitAsync(TimeSpan.FromMinutes(2));
            foreach (var failed in reading.Where(t => t.IsFaulted)) await failed;
            await opened.Task;
        }

        var all = new List<double>(writes);
        var each = new List<double>(writes * watchers);
        for (int i = 0; i < writes; i++)
        {
            await Http.PutAsync(origin, path + "/values/w" + i.ToString(CultureInfo.InvariantCulture), "x");
            long acked = Stopwatch.GetTimestamp();
            var deadline = acked + Stopwatch.Frequency * 30;
            while (Volatile.Read(ref remaining[i]) > 0)
            {
                if (Stopwatch.GetTimestamp() > deadline) throw new TimeoutException($"write {i} reached {watchers - remaining[i]} of {watchers} watchers in 30 s");
                await Task.Delay(1);
            }
            all.Add(Math.Max(0, Stopwatch.GetElapsedTime(acked, allArrived[i]).TotalMilliseconds));
            foreach (long t in arrivals[i]) each.Add(Math.Max(0, Stopwatch.GetElapsedTime(acked, t).TotalMilliseconds));
        }
        await stop.CancelAsync();
        try { await Task.WhenAll(reading); }
        catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException) { } // the streams were cut on purpose
        all.Sort();
        each.Sort();
        Console.WriteLine($"{watchers} watchers on {nodes.Length} node(s), {writes} writes: every watcher had it after p50 {Http.Percentile(all, 0.5):0.00} ms, "
            + $"p99 {Http.Percentile(all, 0.99):0.00} ms, max {all[^1]:0.00} ms; each watcher p50 {Http.Percentile(each, 0.5):0.00} ms, p99 {Http.Percentile(each, 0.99):0.00} ms");
        foreach (var c in clients) c.Dispose();
        return 0;
    }
}
