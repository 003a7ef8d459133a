#pragma warning disable xUnit1051 // every wait in these multi-process tests has its own deadline
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Kivi.Cluster.Tests;

/// <summary>The one-command local cluster: an origin and edges that work together, stopped by one signal.</summary>
[Collection("edge cluster")]
public sealed partial class LocalClusterTests
{
    [Fact]
    public async Task Cluster_starts_an_origin_and_edges_that_propagate_and_stops_them_all_on_SIGTERM()
    {
        string data = Directory.CreateTempSubdirectory("kivi-cluster-").FullName;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "Kivi.Server.dll"), "cluster", "--edges", "2", "--port", "0", "--data", data, "--durable", "false" })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var urls = new Dictionary<string, Uri>();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            if (NodeLine().Match(e.Data) is { Success: true } m) lock (urls) urls[m.Groups[1].Value] = new Uri(m.Groups[2].Value);
            if (e.Data.StartsWith("ready", StringComparison.Ordinal)) ready.TrySetResult();
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(90));
            Assert.Equal(["edge-1", "edge-2", "origin"], urls.Keys.Order());
            string token = (await File.ReadAllTextAsync(Path.Combine(data, "admin-token"))).Trim();
            using var origin = EdgeCluster.Client(urls["origin"], token);
            string account = System.Text.Json.JsonDocument.Parse(await origin.GetStringAsync("/client/v4/accounts")).RootElement.GetProperty("result")[0].GetProperty("id").GetString()!;
            using var created = await origin.PostAsync($"/client/v4/accounts/{account}/storage/kv/namespaces", new StringContent("""{"title":"c"}"""));
            string ns = System.Text.Json.JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("result").GetProperty("id").GetString()!;
            string path = $"/client/v4/accounts/{account}/storage/kv/namespaces/{ns}/values/hello";
            long v = await EdgeCluster.PutAsync(origin, path, "world");
            foreach (var edge in new[] { "edge-1", "edge-2" })
            {
                using var client = EdgeCluster.Client(urls[edge], token);
                await EdgeCluster.WaitUntilAsync(async () => (await EdgeCluster.GetAsync(client, path)).Version == v, TimeSpan.FromSeconds(10), $"{edge} serving the write");
            }
        }
        finally
        {
            using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await term.WaitForExitAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        // Every node is gone with it: nothing listens on their ports.
        foreach (var url in urls.Values)
        {
            using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            await Assert.ThrowsAsync<HttpRequestException>(() => probe.GetAsync(new Uri(url, "/healthz")));
        }
        Directory.Delete(data, recursive: true);
    }

    [GeneratedRegex(@"^(origin|edge-\d+) (http://\S+)$")]
    private static partial Regex NodeLine();
}
