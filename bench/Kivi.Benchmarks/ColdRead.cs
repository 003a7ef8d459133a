using System.Diagnostics;
using System.Globalization;

namespace Kivi.Benchmarks;

/// <summary>
/// A read of a key the edge does not hold (it fills from the origin) beside the same read at the origin,
/// alternating key by key; reports both distributions and the added p50 and p99.
/// </summary>
internal static class ColdRead
{
    public static async Task<int> RunAsync(Options o)
    {
        using var origin = Http.Client(o.Text("origin"), o.Text("token"));
        using var edge = Http.Client(o.Text("edge"), o.Text("token"));
        int keys = o.Int("keys", 2000);
        string ns = await Http.NamespaceAsync(origin, "cold-read");
        string value = new('v', 1024);
        for (int i = 0; i < keys; i++) await Http.PutAsync(origin, $"{ns}/values/o{i}", value);
        for (int i = 0; i < keys; i++) await Http.PutAsync(origin, $"{ns}/values/e{i}", value);
        await Http.VersionAsync(edge, $"{ns}/values/o0"); // the edge's connections, token and namespace are warm; the keys are not
        var atOrigin = new List<double>(keys);
        var atEdge = new List<double>(keys);
        for (int i = 0; i < keys; i++)
        {
            var t = Stopwatch.GetTimestamp();
            await Http.VersionAsync(origin, $"{ns}/values/o{i}");
            atOrigin.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            t = Stopwatch.GetTimestamp();
            await Http.VersionAsync(edge, $"{ns}/values/e{i}");
            atEdge.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        }
        atOrigin.Sort();
        atEdge.Sort();
        double o50 = Http.Percentile(atOrigin, 0.5), o99 = Http.Percentile(atOrigin, 0.99), e50 = Http.Percentile(atEdge, 0.5), e99 = Http.Percentile(atEdge, 0.99);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"cold read of 1 KiB over {keys} keys: origin p50 {o50:0.000} ms p99 {o99:0.000} ms; through the edge p50 {e50:0.000} ms p99 {e99:0.000} ms; added p50 {e50 - o50:0.000} ms, p99 {e99 - o99:0.000} ms"));
        return 0;
    }
}
