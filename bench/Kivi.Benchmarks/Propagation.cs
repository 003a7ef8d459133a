using System.Diagnostics;
using System.Globalization;

namespace Kivi.Benchmarks;

/// <summary>
/// From a PUT's acknowledgement at the origin to the new version being served by every edge: each edge
/// is read in a loop until it returns the acknowledged version; the write's latency is the slowest edge.
/// </summary>
internal static class Propagation
{
    public static async Task<int> RunAsync(Options o)
    {
        using var origin = Http.Client(o.Text("origin"), o.Text("token"));
        var edges = o.Text("edges").Split(',').Select(url => Http.Client(url, o.Text("token"))).ToList();
        int writes = o.Int("writes", 1000);
        string ns = await Http.NamespaceAsync(origin, "propagation");
        string path = ns + "/values/flag";
        await Http.PutAsync(origin, path, "warm");
        foreach (var edge in edges) await Http.VersionAsync(edge, path); // each edge holds the key, as a hot key would be
        var latencies = new List<double>(writes);
        long firstVersion = 0, lastVersion = 0;
        var started = Stopwatch.StartNew();
        for (int i = 0; i < writes; i++)
        {
            long version = await Http.PutAsync(origin, path, i.ToString(CultureInfo.InvariantCulture));
            if (i == 0) firstVersion = version;
            lastVersion = version;
            var acked = Stopwatch.GetTimestamp();
            var seen = await Task.WhenAll(edges.Select(async edge =>
            {
                var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 60;
                while (await Http.VersionAsync(edge, path) < version)
                    if (Stopwatch.GetTimestamp() > deadline) throw new TimeoutException($"version {version} did not reach {edge.BaseAddress} in 60 s");
                return Stopwatch.GetElapsedTime(acked).TotalMilliseconds;
            }));
            latencies.Add(seen.Max());
        }
        latencies.Sort();
        // Versions are dense and count every change the origin committed meanwhile, these writes and any load beside them.
        double rate = (lastVersion - firstVersion) / started.Elapsed.TotalSeconds;
        Console.WriteLine($"propagation to {edges.Count} edges over {writes} writes: p50 {Http.Percentile(latencies, 0.5):0.00} ms, p99 {Http.Percentile(latencies, 0.99):0.00} ms, max {latencies[^1]:0.00} ms (the origin committed {rate:0} changes/s meanwhile)");
        return 0;
    }
}
