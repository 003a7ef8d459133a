using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Kivi.Cluster.Tests;

/// <summary>Edges and tokens when things go wrong: revocation reaching open streams, unknown tokens and revoked ones during an outage.</summary>
public sealed class EdgeOutageTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(string Id, string Value)> IssueAsync(EdgeCluster cluster, string permission)
    {
        using var r = await cluster.Admin.PostAsync($"/client/v4/accounts/{EdgeCluster.Account}/tokens",
            KiviServerFixture.Json(new { name = permission + "-" + Guid.NewGuid().ToString("N")[..6], permission }), Ct);
        var result = JsonDocument.Parse(await r.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("result");
        return (result.GetProperty("id").GetString()!, result.GetProperty("value").GetString()!);
    }

    private static async Task EndsWithinAsync(HttpResponseMessage stream, TimeSpan within)
    {
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync(Ct), Encoding.UTF8);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(within);
        try
        {
            while (await reader.ReadLineAsync(deadline.Token) is not null) { }
        }
        catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
        {
            throw new TimeoutException($"the stream was still open after {within.TotalSeconds} s");
        }
    }

    [Fact]
    public async Task A_revoked_token_ends_an_edges_tier_feed_and_a_watch_served_by_it()
    {
        await using var cluster = await EdgeCluster.StartAsync(1, edgeArgs: ["--token-cache-ttl", "00:00:01"]);
        var replication = await IssueAsync(cluster, "replication");
        var reader = await IssueAsync(cluster, "read");
        using var tier = EdgeCluster.Client(cluster.Edges[0].BaseAddress, replication.Value);
        using var watcher = EdgeCluster.Client(cluster.Edges[0].BaseAddress, reader.Value);
        tier.Timeout = watcher.Timeout = Timeout.InfiniteTimeSpan;
        HttpResponseMessage? feed = null;
        await EdgeCluster.WaitUntilAsync(async () =>
        {
            feed?.Dispose();
            feed = await tier.GetAsync("/client/v4/kivi/changes?heartbeat_ms=60000", HttpCompletionOption.ResponseHeadersRead, Ct);
            return feed.StatusCode == HttpStatusCode.OK; // 503 until the edge's own feed has started
        }, Deadline, "the edge's tier feed opens");
        using var watch = await watcher.GetAsync($"/client/v4/accounts/{EdgeCluster.Account}/storage/kv/namespaces/{cluster.Namespace}/changes?heartbeat_ms=60000",
            HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal(HttpStatusCode.OK, watch.StatusCode);

        foreach (var id in new[] { replication.Id, reader.Id })
            using (var revoke = await cluster.Admin.DeleteAsync($"/client/v4/accounts/{EdgeCluster.Account}/tokens/{id}", Ct))
                Assert.True(revoke.IsSuccessStatusCode);
        // The edge trusts an answer about a token for 1 s and checks open streams every second.
        await EndsWithinAsync(feed!, TimeSpan.FromSeconds(10));
        await EndsWithinAsync(watch, TimeSpan.FromSeconds(10));
        feed!.Dispose();
    }

    [Fact]
    public async Task With_its_origin_down_an_edge_answers_unknown_tokens_503_and_logs_the_outage_once()
    {
        await using var cluster = await EdgeCluster.StartAsync(1);
        await cluster.KillOriginAsync();
        for (int i = 0; i < 40; i++)
        {
            using var stranger = EdgeCluster.Client(cluster.Edges[0].BaseAddress, $"kivi_random_{i}_{Guid.NewGuid():N}");
            using var rest = await stranger.GetAsync(cluster.ValuePath("k"), Ct);
            string body = await rest.Content.ReadAsStringAsync(Ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, rest.StatusCode);
            Assert.Contains("\"code\":10503", body, StringComparison.Ordinal);

            using var binding = new HttpRequestMessage(HttpMethod.Get, "/k?urlencoded=true");
            binding.Headers.Add("X-Kivi-Namespace", cluster.Namespace);
            using var answer = await stranger.SendAsync(binding, Ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
            Assert.Equal("10503", answer.Headers.GetValues("Kivi-Error-Code").Single());
        }
        string log = cluster.Edges[0].Output;
        Assert.DoesNotContain("Unhandled error", log, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", log, StringComparison.Ordinal);
        Assert.InRange(log.Split('\n').Count(l => l.Contains("Requests are failing with 503", StringComparison.Ordinal)), 1, 2);
    }

    [Fact]
    public async Task A_token_revoked_just_before_an_outage_stops_working_at_the_edge_once_the_grace_ends()
    {
        await using var cluster = await EdgeCluster.StartAsync(1, edgeArgs: ["--token-cache-ttl", "00:00:01", "--token-outage-grace", "00:00:03"]);
        var reader = await IssueAsync(cluster, "read");
        await EdgeCluster.PutAsync(cluster.Admin, cluster.ValuePath("k"), "v");
        using var client = EdgeCluster.Client(cluster.Edges[0].BaseAddress, reader.Value);
        Assert.Equal("v", (await EdgeCluster.GetAsync(client, cluster.ValuePath("k"))).Value);
        using (var revoke = await cluster.Admin.DeleteAsync($"/client/v4/accounts/{EdgeCluster.Account}/tokens/{reader.Id}", Ct)) Assert.True(revoke.IsSuccessStatusCode);
        await cluster.KillOriginAsync();
        await EdgeCluster.WaitUntilAsync(async () => (await EdgeCluster.GetAsync(client, cluster.ValuePath("k"))).Status == 503, Deadline,
            "the revoked token is refused once the outage grace has passed");
        var refused = await EdgeCluster.GetAsync(client, cluster.ValuePath("k"));
        Assert.Equal(503, refused.Status);
    }

    [Fact]
    public async Task A_token_scoped_to_one_namespace_reads_only_that_namespaces_lines_from_an_edges_tier_feed()
    {
        await using var cluster = await EdgeCluster.StartAsync(1);
        using var created = await cluster.Admin.PostAsync($"/client/v4/accounts/{EdgeCluster.Account}/storage/kv/namespaces", KiviServerFixture.Json(new { title = "other" }), Ct);
        string other = JsonDocument.Parse(await created.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("result").GetProperty("id").GetString()!;
        using var issued = await cluster.Admin.PostAsync($"/client/v4/accounts/{EdgeCluster.Account}/tokens",
            KiviServerFixture.Json(new { name = "scoped-tier", permission = "replication", namespaces = new[] { cluster.Namespace } }), Ct);
        string token = JsonDocument.Parse(await issued.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("result").GetProperty("value").GetString()!;
        using var tier = EdgeCluster.Client(cluster.Edges[0].BaseAddress, token);
        tier.Timeout = Timeout.InfiniteTimeSpan;
        HttpResponseMessage? feed = null;
        await EdgeCluster.WaitUntilAsync(async () =>
        {
            feed?.Dispose();
            feed = await tier.GetAsync("/client/v4/kivi/changes?heartbeat_ms=200", HttpCompletionOption.ResponseHeadersRead, Ct);
            return feed.StatusCode == HttpStatusCode.OK;
        }, Deadline, "the edge's tier feed opens");
        using (feed)
        {
            await EdgeCluster.PutAsync(cluster.Admin, $"/client/v4/accounts/{EdgeCluster.Account}/storage/kv/namespaces/{other}/values/secret", "not yours");
            long shown = await EdgeCluster.PutAsync(cluster.Admin, cluster.ValuePath("public"), "yours");
            using var reader = new StreamReader(await feed!.Content.ReadAsStreamAsync(Ct), Encoding.UTF8);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            deadline.CancelAfter(Deadline);
            while (true)
            {
                string line = await reader.ReadLineAsync(deadline.Token) ?? throw new InvalidOperationException("the feed ended");
                Assert.DoesNotContain(other, line, StringComparison.Ordinal);
                Assert.DoesNotContain(Convert.ToBase64String("not yours"u8), line, StringComparison.Ordinal); // values travel inline, base64
                var e = JsonDocument.Parse(line).RootElement;
                if (e.GetProperty("type").GetString() == "change" && e.GetProperty("version").GetInt64() == shown) break;
            }
        }
    }
}
