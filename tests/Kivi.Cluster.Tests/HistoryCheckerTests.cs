#pragma warning disable xUnit1051 // every wait in these multi-process tests has its own deadline
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Kivi.Cluster.Tests;

/// <summary>
/// Random writers and readers across an origin and three edges for a bounded time, every operation
/// recorded; afterwards the history is checked against the consistency contract.
/// </summary>
[Collection("edge cluster")]
public sealed class HistoryCheckerTests
{
    private const int CacheTtlSeconds = 2;
    private static readonly TimeSpan Run = TimeSpan.FromSeconds(6);
    private static readonly string[] Keys = ["k0", "k1", "k2", "k3", "k4", "k5"];

    /// <summary>A write: its version once acknowledged, when it started and was acknowledged, and its expiration.</summary>
    private sealed record Write(string Key, string? Value, long Version, double Start, double Acked, long? Expiration);

    /// <summary>A read at one node: the value (null for absent), its version, when it started and ended.</summary>
    private sealed record Read(int Node, string Key, string? Value, long Version, double Start, double End, long StartUnix);

    [Fact]
    public async Task Random_histories_across_an_origin_and_three_edges_keep_the_contract()
    {
        await using var cluster = await EdgeCluster.StartAsync(3, edgeArgs: ["--default-cache-ttl", CacheTtlSeconds.ToString(CultureInfo.InvariantCulture)]);
        var nodes = new List<HttpClient> { cluster.Admin };
        nodes.AddRange(Enumerable.Range(0, 3).Select(cluster.EdgeClient));
        var clock = Stopwatch.StartNew();
        var writes = new ConcurrentBag<Write>();
        var reads = new ConcurrentBag<Read>();
        using var stop = new CancellationTokenSource(Run);

        var writers = Enumerable.Range(0, 3).Select(w => Task.Run(async () =>
        {
            var random = new Random(w);
            for (int seq = 0; !stop.IsCancellationRequested; seq++)
            {
                string key = Keys[random.Next(Keys.Length)];
                var node = nodes[random.Next(nodes.Count)];
                double start = clock.Elapsed.TotalSeconds;
                if (random.Next(10) == 0)
                {
                    using var deleted = await node.DeleteAsync(cluster.ValuePath(key));
                    Assert.True(deleted.IsSuccessStatusCode);
                    long dv = long.Parse(deleted.Headers.GetValues("Kivi-Version").Single(), CultureInfo.InvariantCulture);
                    writes.Add(new Write(key, null, dv, start, clock.Elapsed.TotalSeconds, null));
                    continue;
                }
                long? expiration = random.Next(4) == 0 ? DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 2 : null;
                string value = $"w{w}-{seq}";
                long v = await EdgeCluster.PutAsync(node, cluster.ValuePath(key), value, expiration is { } e ? $"?expiration={e}" : "");
                writes.Add(new Write(key, value, v, start, clock.Elapsed.TotalSeconds, expiration));
            }
        })).ToList();
        var readers = Enumerable.Range(0, 6).Select(r => Task.Run(async () =>
        {
            var random = new Random(100 + r);
            while (!stop.IsCancellationRequested)
            {
                int node = 1 + random.Next(3);
                string key = Keys[random.Next(Keys.Length)];
                double start = clock.Elapsed.TotalSeconds;
                long startUnix = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
                var read = await EdgeCluster.GetAsync(nodes[node], cluster.ValuePath(key));
                Assert.True(read.Status is 200 or 404, $"read failed with {read.Status}");
                Assert.Null(read.Stale);
                reads.Add(new Read(node, key, read.Value, read.Version, start, clock.Elapsed.TotalSeconds, startUnix));
            }
        })).ToList();
        await Task.WhenAll(writers.Concat(readers));

        var byKey = writes.GroupBy(w => w.Key).ToDictionary(g => g.Key, g => g.OrderBy(w => w.Version).ToList());
        var violations = new List<string>();
        foreach (var read in reads)
        {
            var history = byKey.GetValueOrDefault(read.Key) ?? [];
            if (read.Value is not null)
            {
                var write = history.SingleOrDefault(w => w.Value == read.Value);
                if (write is null) { violations.Add($"{read}: a value nobody wrote"); continue; }
                if (write.Version != read.Version) violations.Add($"{read}: version {read.Version}, written as {write.Version}");
                if (write.Expiration is { } e && read.StartUnix >= e) violations.Add($"{read}: expired at {e}");
            }
            if (!PossiblyCurrent(read, history)) violations.Add($"{read}: not current at any moment within cacheTtl before the read");
        }
        // Monotonic reads per edge: a read that began after another ended never shows an older version.
        foreach (var group in reads.Where(r => r.Value is not null).GroupBy(r => (r.Node, r.Key)))
        {
            var ordered = group.OrderBy(r => r.Start).ToList();
            double maxEnd = double.MinValue;
            long maxVersion = 0;
            foreach (var read in ordered)
            {
                // Versions seen by reads that had ended before this one began.
                foreach (var earlier in ordered.TakeWhile(e => e.Start < read.Start).Where(e => e.End < read.Start && e.Version > maxVersion)) maxVersion = earlier.Version;
                if (read.Version < maxVersion) violations.Add($"{read}: went back from version {maxVersion}");
                maxEnd = Math.Max(maxEnd, read.End);
            }
        }
        Assert.True(violations.Count == 0, $"{violations.Count} violations in {reads.Count} reads and {writes.Count} writes:\n" + string.Join('\n', violations.Take(20)));
        Assert.True(reads.Count > 200 && writes.Count > 50, $"too little happened: {reads.Count} reads, {writes.Count} writes");

        // Once writes stop, every edge converges on the origin's state.
        foreach (string key in Keys)
        {
            var truth = await EdgeCluster.GetAsync(cluster.Admin, cluster.ValuePath(key));
            for (int node = 1; node < nodes.Count; node++)
            {
                var edge = nodes[node];
                await EdgeCluster.WaitUntilAsync(async () =>
                {
                    var now = await EdgeCluster.GetAsync(cluster.Admin, cluster.ValuePath(key)); // expirations may still land
                    var seen = await EdgeCluster.GetAsync(edge, cluster.ValuePath(key));
                    return seen.Value == now.Value && seen.Version == now.Version;
                }, TimeSpan.FromSeconds(10), $"edge {node} converging on {key} (origin has {truth.Value})");
            }
        }
    }

    /// <summary>
    /// Whether what the read returned was the key's state at some moment in [start - cacheTtl, end]: the
    /// newest acknowledged write then, or a write under way then.
    /// </summary>
    private static bool PossiblyCurrent(Read read, List<Write> history)
    {
        double from = read.Start - CacheTtlSeconds - 0.05; // 50 ms for the clocks of two processes
        var moments = history.SelectMany(w => new[] { w.Start, w.Acked }).Where(t => t > from && t < read.End).Append(from).Append(read.End);
        foreach (double t in moments)
        {
            var acked = history.Where(w => w.Acked <= t).MaxBy(w => w.Version);
            var candidates = history.Where(w => w.Start <= t && w.Version > (acked?.Version ?? 0)).ToList();
            if (acked is not null) candidates.Add(acked);
            if (read.Value is null)
            {
                if (acked is null || candidates.Any(w => w.Value is null || (w.Expiration is { } e && read.StartUnix + 1 >= e))) return true;
            }
            else if (candidates.Any(w => w.Value == read.Value)) return true;
        }
        return false;
    }
}
