using System.Net;
using System.Text;
using System.Text.Json;

namespace Kivi.Server.Tests;

/// <summary>Usage by operation and the audit, over HTTP against a node of their own (so every count is known).</summary>
public sealed class UsageAndAuditTests : IAsyncLifetime
{
    private KiviServerFixture _node = null!;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static string Usage => $"/client/v4/accounts/{KiviServerFixture.AccountId}/storage/kv/usage";

    public async ValueTask InitializeAsync() => _node = await KiviServerFixture.StartAsync();

    public async ValueTask DisposeAsync() => await _node.DisposeAsync();

    private async Task<Api> Send(HttpClient client, HttpMethod method, string path, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        using var response = await client.SendAsync(request, Ct);
        return await Api.ReadAsync(response);
    }

    private async Task<string> TokenAsync(string name, string permission, params string[] namespaces)
    {
        var issued = await Send(_node.Client, HttpMethod.Post, $"/client/v4/accounts/{KiviServerFixture.AccountId}/tokens",
            KiviServerFixture.Json(namespaces.Length == 0 ? new { name, permission } : new { name, permission, namespaces }));
        Assert.True(issued.Success, issued.Raw);
        return issued.Result.GetProperty("value").GetString()!;
    }

    [Fact]
    public async Task Usage_counts_a_known_mix_of_operations_exactly_with_storage_beside_it()
    {
        string id = await _node.CreateNamespaceAsync();
        string ns = $"{KiviServerFixture.Namespaces}/{id}";
        var c = _node.Client;
        Assert.True((await Send(c, HttpMethod.Put, $"{ns}/values/a", new StringContent("12345"))).Success);
        Assert.True((await Send(c, HttpMethod.Put, $"{ns}/bulk", KiviServerFixture.Json(new[] { new { key = "b", value = "xy" }, new { key = "c", value = "z" } }))).Success);
        for (int i = 0; i < 3; i++) // the first may fill the cache, the others are hot reads: each counts one
            using (var got = await c.GetAsync($"{ns}/values/a", Ct)) Assert.Equal(HttpStatusCode.OK, got.StatusCode);
        using (var missing = await c.GetAsync($"{ns}/values/none", Ct)) Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode); // billed too
        Assert.True((await Send(c, HttpMethod.Get, $"{ns}/metadata/b")).Success);
        Assert.True((await Send(c, HttpMethod.Get, $"{ns}/keys")).Success);
        Assert.True((await Send(c, HttpMethod.Post, $"{ns}/bulk/get", KiviServerFixture.Json(new { keys = new[] { "b", "c" } }))).Success);
        Assert.True((await Send(c, HttpMethod.Delete, $"{ns}/values/a")).Success);
        Assert.True((await Send(c, HttpMethod.Post, $"{ns}/bulk/delete", KiviServerFixture.Json(new[] { "b", "never-was" }))).Success);

        var usage = await Send(c, HttpMethod.Get, $"{Usage}?namespace_id={id}");
        Assert.True(usage.Success, usage.Raw);
        var totals = usage.Result.GetProperty("totals");
        Assert.Equal(7, totals.GetProperty("reads").GetInt64()); // 3 gets, a miss, a metadata read, 2 bulk-get keys
        Assert.Equal(3, totals.GetProperty("writes").GetInt64());
        Assert.Equal(3, totals.GetProperty("deletes").GetInt64());
        Assert.Equal(1, totals.GetProperty("lists").GetInt64());
        Assert.Equal(3 * 5 + 2 + 1, totals.GetProperty("read_bytes").GetInt64());
        Assert.Equal(5 + 2 + 1, totals.GetProperty("write_bytes").GetInt64());
        var stored = Assert.Single(usage.Result.GetProperty("storage").EnumerateArray());
        Assert.Equal((1, 2), (stored.GetProperty("keys").GetInt64(), stored.GetProperty("bytes").GetInt64())); // "c" = "z"
        var hour = Assert.Single(usage.Result.GetProperty("data").EnumerateArray());
        Assert.Equal(id, hour.GetProperty("dimensions").GetProperty("namespace_id").GetString());
        Assert.Equal(7, hour.GetProperty("metrics").GetProperty("reads").GetInt64());
        Assert.Equal("hour", usage.Result.GetProperty("step").GetString());

        var byDay = await Send(c, HttpMethod.Get, $"{Usage}?step=day&since=2020-01-01T00:00:00Z");
        Assert.Equal(3, byDay.Result.GetProperty("totals").GetProperty("writes").GetInt64());
        Assert.EndsWith("T00:00:00Z", byDay.Result.GetProperty("data")[0].GetProperty("dimensions").GetProperty("time").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Usage_survives_a_restart_of_the_node()
    {
        string id = await _node.CreateNamespaceAsync();
        string ns = $"{KiviServerFixture.Namespaces}/{id}";
        Assert.True((await Send(_node.Client, HttpMethod.Put, $"{ns}/values/k", new StringContent("v"))).Success);
        using (await _node.Client.GetAsync($"{ns}/values/k", Ct)) { }
        await using var restarted = await _node.RestartAsync(); // a clean stop: the reads counted so far are written first
        var usage = await Send(restarted.Client, HttpMethod.Get, $"{Usage}?namespace_id={id}");
        Assert.Equal((1, 1), (usage.Result.GetProperty("totals").GetProperty("reads").GetInt64(), usage.Result.GetProperty("totals").GetProperty("writes").GetInt64()));
    }

    [Fact]
    public async Task Usage_is_for_admins_and_a_scoped_admin_sees_only_its_namespaces()
    {
        string mine = await _node.CreateNamespaceAsync(), other = await _node.CreateNamespaceAsync();
        foreach (var id in new[] { mine, other })
            Assert.True((await Send(_node.Client, HttpMethod.Put, $"{KiviServerFixture.Namespaces}/{id}/values/k", new StringContent("v"))).Success);
        using var reader = _node.NewClient(await TokenAsync("reader", "read"));
        Assert.Equal(HttpStatusCode.Forbidden, (await Send(reader, HttpMethod.Get, Usage)).Status);
        using var scoped = _node.NewClient(await TokenAsync("scoped admin", "admin", mine));
        var seen = await Send(scoped, HttpMethod.Get, Usage);
        Assert.True(seen.Success, seen.Raw);
        Assert.All(seen.Result.GetProperty("data").EnumerateArray(), d => Assert.Equal(mine, d.GetProperty("dimensions").GetProperty("namespace_id").GetString()));
        Assert.Equal(mine, Assert.Single(seen.Result.GetProperty("storage").EnumerateArray()).GetProperty("namespace_id").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, (await Send(scoped, HttpMethod.Get, $"{Usage}?namespace_id={other}")).Status);

        var bad = await Send(_node.Client, HttpMethod.Get, $"{Usage}?step=minute");
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
        Assert.Contains("step must be hour or day, not \"minute\".", bad.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, (await Send(_node.Client, HttpMethod.Get, $"{Usage}?since=yesterday")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await Send(_node.Client, HttpMethod.Get, $"{Usage}?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z")).Status);
    }

    [Fact]
    public async Task Only_a_replication_or_admin_token_may_report_usage_and_a_bad_report_changes_nothing()
    {
        string id = await _node.CreateNamespaceAsync();
        long hour = DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 3600 * 3600;
        object Report(long sequence, long reads) => new
        {
            reporter = "edge-x", sequence,
            rows = new[] { new { account_id = KiviServerFixture.AccountId, namespace_id = id, hour, reads, lists = 0, read_bytes = 0 } },
        };
        using var writer = _node.NewClient(await TokenAsync("writer", "write"));
        Assert.Equal(HttpStatusCode.Forbidden, (await Send(writer, HttpMethod.Post, "/client/v4/kivi/usage/reports", KiviServerFixture.Json(Report(1, 5)))).Status);
        var negative = await Send(_node.Client, HttpMethod.Post, "/client/v4/kivi/usage/reports", KiviServerFixture.Json(Report(1, -5)));
        Assert.Equal(HttpStatusCode.BadRequest, negative.Status);
        using var edge = _node.NewClient(await TokenAsync("edges", "replication"));
        Assert.True((await Send(edge, HttpMethod.Post, "/client/v4/kivi/usage/reports", KiviServerFixture.Json(Report(1, 5)))).Success);
        Assert.True((await Send(edge, HttpMethod.Post, "/client/v4/kivi/usage/reports", KiviServerFixture.Json(Report(1, 5)))).Success); // a resend
        var usage = await Send(_node.Client, HttpMethod.Get, $"{Usage}?namespace_id={id}");
        Assert.Equal(5, usage.Result.GetProperty("totals").GetProperty("reads").GetInt64());
    }

    [Fact]
    public async Task The_audit_says_which_token_changed_a_key_and_when_newest_first()
    {
        string id = await _node.CreateNamespaceAsync();
        string ns = $"{KiviServerFixture.Namespaces}/{id}";
        using var deployer = _node.NewClient(await TokenAsync("deployer", "write"));
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        Assert.True((await Send(deployer, HttpMethod.Put, $"{ns}/values/flags%2Fcheckout", new StringContent("on"))).Success);
        Assert.True((await Send(deployer, HttpMethod.Put, $"{ns}/values/other", new StringContent("x"))).Success);
        Assert.True((await Send(_node.Client, HttpMethod.Delete, $"{ns}/values/flags%2Fcheckout")).Success);

        var audit = await Send(_node.Client, HttpMethod.Get, $"{ns}/audit?key=flags%2Fcheckout");
        Assert.True(audit.Success, audit.Raw);
        var changes = audit.Result.GetProperty("changes").EnumerateArray().ToArray();
        Assert.Equal(["delete", "put"], changes.Select(e => e.GetProperty("kind").GetString()));
        Assert.Equal(["admin token", "deployer"], changes.Select(e => e.GetProperty("token_name").GetString()));
        Assert.All(changes, e => Assert.Equal("flags/checkout", e.GetProperty("key").GetString()));
        var at = DateTimeOffset.Parse(changes[1].GetProperty("time").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(at, before, DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.DoesNotContain(deployer.DefaultRequestHeaders.Authorization!.Parameter!, audit.Raw, StringComparison.Ordinal); // never a token value

        var page = await Send(_node.Client, HttpMethod.Get, $"{ns}/audit?limit=2");
        Assert.Equal(2, page.Result.GetProperty("changes").GetArrayLength());
        string cursor = page.Result.GetProperty("cursor").GetString()!;
        var rest = await Send(_node.Client, HttpMethod.Get, $"{ns}/audit?limit=2&cursor={cursor}");
        Assert.Equal("put", Assert.Single(rest.Result.GetProperty("changes").EnumerateArray()).GetProperty("kind").GetString());
        Assert.Equal("", rest.Result.GetProperty("cursor").GetString());

        Assert.Equal(HttpStatusCode.Forbidden, (await Send(deployer, HttpMethod.Get, $"{ns}/audit")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await Send(_node.Client, HttpMethod.Get, $"{ns}/audit?limit=5000")).Status);
    }
}
