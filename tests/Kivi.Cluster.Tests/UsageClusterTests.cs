#pragma warning disable xUnit1051 // every wait in these multi-process tests has its own deadline
using System.Text;
using System.Text.Json;

namespace Kivi.Cluster.Tests;

/// <summary>Usage counted across an origin and its edges, on real processes, through kills and restarts.</summary>
[Collection("edge cluster")]
public sealed class UsageClusterTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private const string Interval = "00:00:00.2";

    private static async Task<(long Reads, long Writes, long Deletes, long Lists)> TotalsAsync(HttpClient origin, string ns)
    {
        using var response = await origin.GetAsync($"/client/v4/accounts/{EdgeCluster.Account}/storage/kv/usage?namespace_id={ns}");
        string body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) return (-1, -1, -1, -1);
        var t = JsonDocument.Parse(body).RootElement.GetProperty("result").GetProperty("totals");
        return (t.GetProperty("reads").GetInt64(), t.GetProperty("writes").GetInt64(), t.GetProperty("deletes").GetInt64(), t.GetProperty("lists").GetInt64());
    }

    private static async Task ReadAsync(HttpClient node, string path, int expectedStatus = 200)
    {
        using var response = await node.GetAsync(path);
        Assert.Equal(expectedStatus, (int)response.StatusCode);
    }

    /// <summary>The reads an edge's outbox holds unsent (the file it keeps in its data folder).</summary>
    private static long PendingReads(string outbox)
    {
        if (!File.Exists(outbox)) return 0;
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(outbox)).RootElement.GetProperty("Pending").EnumerateArray()
                .Sum(r => r.GetProperty("Rows").EnumerateArray().Sum(row => row.GetProperty("Reads").GetInt64()));
        }
        catch (IOException)
        {
            return 0;
        }
    }

    [Fact]
    public async Task Usage_at_an_origin_and_two_edges_matches_a_known_mix_exactly_through_an_edge_kill_and_an_origin_restart()
    {
        await using var cluster = await EdgeCluster.StartAsync(0, originArgs: ["--usage-interval", Interval]);
        string[] EdgeArgs(string name) => ["--usage-interval", Interval, "--node-name", name];
        var edge1 = EdgeCluster.Client((await cluster.StartEdgeAsync(EdgeArgs("usage-edge-1"))).BaseAddress, EdgeCluster.AdminToken);
        var edge2 = EdgeCluster.Client((await cluster.StartEdgeAsync(EdgeArgs("usage-edge-2"))).BaseAddress, EdgeCluster.AdminToken);
        string list = $"/client/v4/accounts/{EdgeCluster.Account}/storage/kv/namespaces/{cluster.Namespace}/keys";
        string bulkGet = $"/client/v4/accounts/{EdgeCluster.Account}/storage/kv/namespaces/{cluster.Namespace}/bulk/get";

        // Writes are counted by the origin's store, wherever they were sent: 4 + 2 + 1.
        for (int i = 0; i < 4; i++) await EdgeCluster.PutAsync(edge1, cluster.ValuePath($"k{i}"), $"value-{i}");
        for (int i = 4; i < 6; i++) await EdgeCluster.PutAsync(edge2, cluster.ValuePath($"k{i}"), $"value-{i}");
        await EdgeCluster.PutAsync(cluster.Admin, cluster.ValuePath("k6"), "value-6");
        // Reads are counted where they are served; an edge filling its cache from the origin is not a read.
        for (int i = 0; i < 4; i++) { await ReadAsync(edge1, cluster.ValuePath($"k{i}")); await ReadAsync(edge1, cluster.ValuePath($"k{i}")); } // 8
        for (int i = 0; i < 3; i++) await ReadAsync(edge2, cluster.ValuePath("k0"));                                                          // 3
        await ReadAsync(edge2, cluster.ValuePath("missing"), 404);                                                                              // 1
        using (var bulk = await edge2.PostAsync(bulkGet, new StringContent("{\"keys\":[\"k1\",\"k2\",\"k3\"]}", Encoding.UTF8, "application/json")))
            Assert.True(bulk.IsSuccessStatusCode);                                                                                               // 3
        await ReadAsync(cluster.Admin, cluster.ValuePath("k5"));                                                                                // 1
        await ReadAsync(cluster.Admin, cluster.ValuePath("k6"));                                                                                // 1
        await ReadAsync(edge1, list); await ReadAsync(edge1, list); await ReadAsync(edge2, list);                                                // 3 lists
        await EdgeCluster.WaitUntilAsync(async () => await TotalsAsync(cluster.Admin, cluster.Namespace) == (17, 7, 0, 3), Deadline, "the mix counted at the origin");

        // Edge 1 counts reads while its origin is down: its report is cut into its outbox and cannot be delivered;
        // then it is killed (no flush, no shutdown) and started again under its name, after the origin comes back.
        await cluster.KillOriginAsync();
        for (int i = 0; i < 5; i++) await ReadAsync(edge1, cluster.ValuePath("k0"));
        string outbox = Path.Combine(cluster.OriginData, "usage-outbox-usage-edge-1.json");
        await EdgeCluster.WaitUntilAsync(() => Task.FromResult(PendingReads(outbox) == 5), Deadline, "edge 1's five reads cut into its outbox");
        await cluster.Edges[0].KillAsync();
        await cluster.RestartOriginAsync();
        await cluster.StartEdgeAsync(EdgeArgs("usage-edge-1"));
        await EdgeCluster.WaitUntilAsync(() => Task.FromResult(PendingReads(outbox) == 0), Deadline, "edge 1's outbox delivered after its restart");
        Assert.Equal((22, 7, 0, 3), await TotalsAsync(cluster.Admin, cluster.Namespace));
    }

    [Fact]
    public async Task Quotas_and_the_per_key_limit_hold_through_an_edge_with_the_stores_answer()
    {
        await using var cluster = await EdgeCluster.StartAsync(0, originArgs:
            ["--usage-interval", Interval, "--quota", "account:*:day:reads=3,writes=2", "--key-write-limit", "true", "--key-write-interval", "01:00:00"]);
        var edge = EdgeCluster.Client((await cluster.StartEdgeAsync(["--usage-interval", Interval])).BaseAddress, EdgeCluster.AdminToken);

        async Task<(int Status, int? Code, string? Message)> PutAsync(string key)
        {
            using var response = await edge.PutAsync(cluster.ValuePath(key), new StringContent("v"));
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            var error = body.GetProperty("errors").EnumerateArray().FirstOrDefault();
            return ((int)response.StatusCode, error.ValueKind == JsonValueKind.Object ? error.GetProperty("code").GetInt32() : null,
                error.ValueKind == JsonValueKind.Object ? error.GetProperty("message").GetString() : null);
        }

        Assert.Equal(200, (await PutAsync("a")).Status);
        Assert.Equal((429, 10051), ((await PutAsync("a")).Status, (await PutAsync("a")).Code)); // the per-key limit, at the origin
        Assert.Equal(200, (await PutAsync("b")).Status);
        var overQuota = await PutAsync("c");
        Assert.Equal((429, 10048), (overQuota.Status, overQuota.Code));
        Assert.Contains("your account has reached the free usage limit for this operation for today", overQuota.Message, StringComparison.Ordinal);

        // Reads are served, counted and reported by the edge; once the store finds the quota used up, the edge refuses them itself.
        var refused = (Status: 0, Body: "");
        await EdgeCluster.WaitUntilAsync(async () =>
        {
            using var response = await edge.GetAsync(cluster.ValuePath("a"));
            refused = ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
            return refused.Status == 429;
        }, Deadline, "reads at the edge refused once the account's reads are used up");
        var error = JsonDocument.Parse(refused.Body).RootElement.GetProperty("errors")[0];
        Assert.Equal(10048, error.GetProperty("code").GetInt32());
        using var list = await edge.GetAsync($"/client/v4/accounts/{EdgeCluster.Account}/storage/kv/namespaces/{cluster.Namespace}/keys");
        Assert.Equal(200, (int)list.StatusCode); // lists have no quota here
    }
}
