using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Kivi.Cluster.Tests;

/// <summary>
/// Origins as real processes over one real PostgreSQL, and an edge that fails over between them when one
/// is killed: same data from either origin, the feed resumed where it stood, nothing older ever served.
/// </summary>
public sealed class PostgresOriginsTests
{
    private const string Admin = "pg-origins-admin";
    private const string Account = "9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<ServerProcess> StartOriginAsync(string data, string connectionString) =>
        ServerProcess.StartAsync(Directory.CreateTempSubdirectory(data).FullName, "--role", "origin", "--postgres", connectionString,
            "--admin-token", Admin, "--account-id", Account, "--min-expiration-ttl", "1", "--min-cache-ttl", "1", "--feed-heartbeat", "00:00:00.5");

    [Fact]
    public async Task Two_origins_serve_one_dataset_and_an_edge_fails_over_without_losing_its_place_or_going_back()
    {
        await using var database = await TestDatabase.CreateAsync();
        // Started together: one migrates the empty database while the other waits for it.
        var starting = new[] { StartOriginAsync("kivi-pg-a-", database.ConnectionString), StartOriginAsync("kivi-pg-b-", database.ConnectionString) };
        await using var a = await starting[0];
        await using var b = await starting[1];
        using var atA = EdgeCluster.Client(a.BaseAddress, Admin);
        using var atB = EdgeCluster.Client(b.BaseAddress, Admin);

        string ns = (await ResultAsync(await atA.PostAsync($"/client/v4/accounts/{Account}/storage/kv/namespaces", Json(new { title = "pg-shared" }), Ct))).GetProperty("id").GetString()!;
        string path = $"/client/v4/accounts/{Account}/storage/kv/namespaces/{ns}/values/";
        // Same data from either origin, at once: B reads A's write, A reads B's.
        long v1 = await EdgeCluster.PutAsync(atA, path + "color", "red");
        Assert.Equal(("red", v1), Pick(await EdgeCluster.GetAsync(atB, path + "color")));
        long v2 = await EdgeCluster.PutAsync(atB, path + "shape", "round");
        Assert.Equal(v1 + 1, v2);
        Assert.Equal(("round", v2), Pick(await EdgeCluster.GetAsync(atA, path + "shape")));

        string replication = (await ResultAsync(await atB.PostAsync($"/client/v4/accounts/{Account}/tokens", Json(new { name = "edge", permission = "replication" }), Ct))).GetProperty("value").GetString()!;
        await using var edge = await ServerProcess.StartAsync(Directory.CreateTempSubdirectory("kivi-pg-edge-").FullName, "--role", "edge",
            "--upstream", $"{a.BaseAddress},{b.BaseAddress}", "--upstream-token", replication, "--min-cache-ttl", "1", "--min-expiration-ttl", "1");
        using var atEdge = EdgeCluster.Client(edge.BaseAddress, Admin);
        Assert.Equal(("red", v1), Pick(await EdgeCluster.GetAsync(atEdge, path + "color")));

        // A reader of the edge's own feed: an edge that lost its place would send it a reset.
        var relayed = new List<string>();
        using var feedStop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var reading = ReadFeedAsync(edge.BaseAddress, replication, relayed, feedStop.Token);
        // Connected before v3 is written: a reader that connects later starts past it (a race the test once lost).
        await EdgeCluster.WaitUntilAsync(() =>
        {
            lock (relayed) return Task.FromResult(relayed.Count > 0 || reading.IsCompleted);
        }, TimeSpan.FromSeconds(10), "the reader's first line");
        long v3 = await EdgeCluster.PutAsync(atA, path + "color", "green");
        await EdgeCluster.WaitUntilAsync(async () => (await EdgeCluster.GetAsync(atEdge, path + "color")).Value == "green", TimeSpan.FromSeconds(10), "the edge to follow A");

        await a.KillAsync();
        long v4 = await EdgeCluster.PutAsync(atB, path + "color", "blue");
        long seen = v3;
        await EdgeCluster.WaitUntilAsync(async () =>
        {
            var read = await EdgeCluster.GetAsync(atEdge, path + "color");
            Assert.Equal(200, read.Status); // served throughout: from its cache, then from B
            Assert.True(read.Version >= seen, $"the edge went back from version {seen} to {read.Version}");
            seen = read.Version;
            return read.Value == "blue";
        }, TimeSpan.FromSeconds(20), "the edge to follow B after A was killed");
        Assert.Equal(v4, seen);

        // Writes through the edge go to B now; a key the edge never saw is read from B.
        long v5 = await EdgeCluster.PutAsync(atEdge, path + "size", "large");
        Assert.Equal(("large", v5), Pick(await EdgeCluster.GetAsync(atB, path + "size")));
        Assert.Equal(("round", v2), Pick(await EdgeCluster.GetAsync(atEdge, path + "shape")));

        await EdgeCluster.WaitUntilAsync(() => Task.FromResult(Changes(relayed).Contains(v5)), TimeSpan.FromSeconds(10), "the edge's feed to relay B's changes");
        await feedStop.CancelAsync();
        await reading;
        lock (relayed)
        {
            Assert.DoesNotContain(relayed, line => line.Contains("\"type\":\"reset\"", StringComparison.Ordinal));
            var versions = Changes(relayed);
            Assert.Equal(versions.Order(), versions); // in order, each once
            Assert.Equal(versions.Distinct().Count(), versions.Count);
            Assert.Contains(v3, versions);
            Assert.Contains(v4, versions);
        }
    }

    [Fact]
    public async Task A_killed_origin_loses_no_acknowledged_write_and_restarts_over_the_same_database()
    {
        await using var database = await TestDatabase.CreateAsync();
        var origin = await StartOriginAsync("kivi-pg-kill-", database.ConnectionString);
        using var client = EdgeCluster.Client(origin.BaseAddress, Admin);
        string ns = (await ResultAsync(await client.PostAsync($"/client/v4/accounts/{Account}/storage/kv/namespaces", Json(new { title = "pg-kill" }), Ct))).GetProperty("id").GetString()!;
        string path = $"/client/v4/accounts/{Account}/storage/kv/namespaces/{ns}/values/";
        var acknowledged = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                try { acknowledged[$"w{w}-{i}"] = await EdgeCluster.PutAsync(client, path + $"w{w}-{i}", $"value {i}"); }
                catch (Exception e) when (e is HttpRequestException or InvalidOperationException or TaskCanceledException) { return; }
            }
        }, Ct)).ToArray();
        await EdgeCluster.WaitUntilAsync(() => Task.FromResult(acknowledged.Count >= 200), TimeSpan.FromSeconds(30), "200 acknowledged writes");
        await origin.KillAsync();
        await stop.CancelAsync();
        await Task.WhenAll(writers);
        await origin.DisposeAsync();

        await using var again = await StartOriginAsync("kivi-pg-kill2-", database.ConnectionString);
        using var after = EdgeCluster.Client(again.BaseAddress, Admin);
        foreach (var (key, version) in acknowledged)
            Assert.Equal(($"value {key[(key.IndexOf('-') + 1)..]}", version), Pick(await EdgeCluster.GetAsync(after, path + key)));
    }

    private static (string? Value, long Version) Pick((string? Value, long Version, string? Stale, int Status) read) => (read.Value, read.Version);

    private static List<long> Changes(List<string> lines)
    {
        lock (lines)
            return lines.Where(l => l.Contains("\"type\":\"change\"", StringComparison.Ordinal))
                .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("version").GetInt64()).ToList();
    }

    private static async Task ReadFeedAsync(Uri edge, string token, List<string> lines, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = edge, Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        try
        {
            using var response = await http.GetAsync("/client/v4/kivi/changes", HttpCompletionOption.ResponseHeadersRead, ct);
            response.EnsureSuccessStatusCode();
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
            while (await reader.ReadLineAsync(ct) is { } line)
                lock (lines) lines.Add(line);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private static StringContent Json(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");

    private static async Task<JsonElement> ResultAsync(HttpResponseMessage response)
    {
        using (response)
        {
            string body = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException(body);
            return JsonDocument.Parse(body).RootElement.GetProperty("result").Clone();
        }
    }
}
