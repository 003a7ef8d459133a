using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Kivi.Testing;

/// <summary>
/// An origin and edges as real processes on loopback ports. Edges may reach the origin through a
/// <see cref="FeedGate"/>, and the origin can be killed with SIGKILL and started again on the same port.
/// </summary>
public sealed class EdgeCluster : IAsyncDisposable
{
    public const string AdminToken = "edge-cluster-admin";
    public const string Account = "edc0edc0edc0edc0edc0edc0edc0edc0";
    private readonly string _data = Directory.CreateTempSubdirectory("kivi-edge-").FullName;
    private readonly string[] _originArgs;
    private readonly List<ServerProcess> _edges = [];
    private readonly List<FeedGate> _gates = [];

    private EdgeCluster(string[] originArgs) => _originArgs = originArgs;

    public ServerProcess Origin { get; private set; } = null!;
    public IReadOnlyList<ServerProcess> Edges => _edges;
    public IReadOnlyList<FeedGate> Gates => _gates;
    private readonly List<HttpClient> _clients = [];
    public string Namespace { get; private set; } = "";
    public string ReplicationToken { get; private set; } = "";
    public HttpClient Admin { get; private set; } = null!;

    /// <summary>Starts an origin (cacheTtl and expiration_ttl minimums lowered to 1 s so tests take seconds) and <paramref name="edges"/> edges, each behind its own gate.</summary>
    public static async Task<EdgeCluster> StartAsync(int edges, string[]? originArgs = null, string[]? edgeArgs = null)
    {
        var cluster = new EdgeCluster(["--admin-token", AdminToken, "--account-id", Account, "--min-expiration-ttl", "1", "--min-cache-ttl", "1", .. originArgs ?? []]);
        cluster.Origin = await ServerProcess.StartAsync(cluster._data, cluster._originArgs);
        cluster.Admin = Client(cluster.Origin.BaseAddress, AdminToken);
        using (var created = await cluster.Admin.PostAsync($"/client/v4/accounts/{Account}/storage/kv/namespaces", Json(new { title = "edge-tests" })))
            cluster.Namespace = (await Result(created)).GetProperty("id").GetString()!;
        using (var issued = await cluster.Admin.PostAsync($"/client/v4/accounts/{Account}/tokens", Json(new { name = "edges", permission = "replication" })))
            cluster.ReplicationToken = (await Result(issued)).GetProperty("value").GetString()!;
        var starting = Enumerable.Range(0, edges).Select(_ => cluster.StartEdgeAsync(edgeArgs ?? [])).ToList();
        await Task.WhenAll(starting);
        return cluster;
    }

    /// <param name="feedCut">Start with the edge's feed refused at its gate (every other request flows) until <see cref="FeedGate.Resume"/>.</param>
    public async Task<ServerProcess> StartEdgeAsync(string[] args, Uri? upstream = null, bool feedCut = false)
    {
        var gate = new FeedGate(upstream ?? Origin.BaseAddress);
        if (feedCut) gate.Cut();
        lock (_gates) _gates.Add(gate);
        var edge = await ServerProcess.StartAsync(_data, ["--role", "edge", "--upstream", gate.Address.ToString(), "--upstream-token", ReplicationToken,
            "--min-cache-ttl", "1", "--min-expiration-ttl", "1", .. args]);
        lock (_edges) _edges.Add(edge);
        return edge;
    }

    /// <summary>
    /// Starts an edge that follows <see cref="Edges"/>[0] (a second tier) and a client for it with the admin token (disposed
    /// with the cluster); unless its feed starts cut, waits until it is ready (following that edge's feed), so a test's
    /// events reach it through the feed.
    /// </summary>
    public async Task<(ServerProcess Edge, HttpClient Client)> StartLowerTierAsync(bool feedCut = false)
    {
        var edge = await StartEdgeAsync([], upstream: Edges[0].BaseAddress, feedCut);
        var client = Client(edge.BaseAddress, AdminToken);
        lock (_clients) _clients.Add(client);
        if (!feedCut)
            await WaitUntilAsync(async () => { using var ready = await client.GetAsync("/readyz"); return ready.IsSuccessStatusCode; }, TimeSpan.FromSeconds(20),
                "the lower tier follows the edge above it", () => ". Its log:\n" + edge.Output);
        return (edge, client);
    }

    public async Task KillOriginAsync() => await Origin.KillAsync();

    /// <summary>The origin's data folder (edges keep only their usage outboxes there, one file per node name).</summary>
    public string OriginData => _data;

    /// <summary>Starts the origin again on its old port, over its old data or over <paramref name="data"/> (another store, or an older copy).</summary>
    public async Task RestartOriginAsync(string? data = null)
    {
        await Origin.DisposeAsync();
        Origin = await ServerProcess.StartAsync(data ?? _data, [.. _originArgs, "--urls", Origin.BaseAddress.ToString().TrimEnd('/')]);
    }

    public string ValuePath(string key) => $"/client/v4/accounts/{Account}/storage/kv/namespaces/{Namespace}/values/{Uri.EscapeDataString(key)}";

    /// <summary>Writes at <paramref name="node"/> and returns the version the origin acknowledged.</summary>
    public static async Task<long> PutAsync(HttpClient node, string path, string value, string query = "")
    {
        using var response = await node.PutAsync(path + query, new StringContent(value));
        string body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"PUT {path} failed: {(int)response.StatusCode} {body}");
        return long.Parse(response.Headers.GetValues("Kivi-Version").Single(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A read: the value (null for 404), its version, and the Kivi-Stale header if any.</summary>
    public static async Task<(string? Value, long Version, string? Stale, int Status)> GetAsync(HttpClient node, string path, string query = "")
    {
        using var response = await node.GetAsync(path + query);
        string? stale = response.Headers.TryGetValues("Kivi-Stale", out var s) ? s.Single() : null;
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound) return (null, 0, stale, 404);
        if (!response.IsSuccessStatusCode) return (null, -1, stale, (int)response.StatusCode);
        long version = long.Parse(response.Headers.GetValues("Kivi-Version").Single(), System.Globalization.CultureInfo.InvariantCulture);
        return (await response.Content.ReadAsStringAsync(), version, stale, 200);
    }

    /// <summary>Polls until <paramref name="condition"/> holds, failing with <paramref name="what"/> at the deadline.</summary>
    public static Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan deadline, string what) => WaitUntilAsync(condition, deadline, what, () => "");

    /// <summary>As above, adding <paramref name="evidence"/> to the failure, taken at the deadline (a node's log then, not when the wait began).</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan deadline, string what, Func<string> evidence)
    {
        var until = DateTime.UtcNow + deadline;
        while (!await condition())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException($"Timed out after {deadline.TotalSeconds} s waiting for: {what}{evidence()}");
            await Task.Delay(10);
        }
    }

    public static HttpClient Client(Uri baseAddress, string token)
    {
        var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    public HttpClient EdgeClient(int i) => Client(_edges[i].BaseAddress, AdminToken);

    private static StringContent Json(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");

    private static async Task<JsonElement> Result(HttpResponseMessage response)
    {
        string body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException(body);
        return JsonDocument.Parse(body).RootElement.GetProperty("result").Clone();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var edge in _edges) await edge.DisposeAsync();
        foreach (var gate in _gates) await gate.DisposeAsync();
        await Origin.DisposeAsync();
        Admin.Dispose();
        foreach (var client in _clients) client.Dispose();
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }
}
