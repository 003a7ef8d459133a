using System.Net;

namespace Kivi.Server.Tests;

/// <summary>/metrics: who may scrape it, and every family the operations page documents, moving as the node works.</summary>
public sealed class MetricsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<string> TokenAsync(HttpClient client, string name, string permission)
    {
        using var issued = await client.PostAsync($"/client/v4/accounts/{KiviServerFixture.AccountId}/tokens", KiviServerFixture.Json(new { name, permission }), Ct);
        var body = await Api.ReadAsync(issued);
        Assert.True(body.Success, body.Raw);
        return body.Result.GetProperty("value").GetString()!;
    }

    [Fact]
    public async Task Only_the_admin_token_a_metrics_token_or_a_listed_address_may_scrape_and_a_metrics_token_reads_no_data()
    {
        await using var node = await KiviServerFixture.StartAsync();
        using (var anonymous = node.NewClient(null))
        using (var response = await anonymous.GetAsync("/metrics", Ct)) Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        using (var reader = node.NewClient(await TokenAsync(node.Client, "reader", "read")))
        using (var response = await reader.GetAsync("/metrics", Ct)) Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);

        string metricsToken = await TokenAsync(node.Client, "prometheus", "metrics");
        using var scraper = node.NewClient(metricsToken);
        Assert.True((await PrometheusText.ScrapeAsync(scraper, Ct)).Has("kivi_operations_total"));
        string ns = await node.CreateNamespaceAsync();
        using (var value = await scraper.GetAsync($"{KiviServerFixture.Namespaces}/{ns}/values/k", Ct)) Assert.Equal(HttpStatusCode.Forbidden, value.StatusCode);
        using (var keys = await scraper.GetAsync($"{KiviServerFixture.Namespaces}/{ns}/keys", Ct)) Assert.Equal(HttpStatusCode.Forbidden, keys.StatusCode);

        using var admin = node.NewClient(await TokenAsync(node.Client, "account admin", "admin"));
        using var refused = await admin.PostAsync($"/client/v4/accounts/{KiviServerFixture.AccountId}/tokens", KiviServerFixture.Json(new { name = "m", permission = "metrics" }), Ct);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode); // node-wide: only the admin token issues one

        await using var open = await KiviServerFixture.StartAsync("--metrics-allow", "127.0.0.1");
        using var prometheus = open.NewClient(null);
        Assert.True((await PrometheusText.ScrapeAsync(prometheus, Ct)).Has("kivi_store_head_version"));

        await using var off = await KiviServerFixture.StartAsync("--metrics", "false");
        using var none = await off.Client.GetAsync("/metrics", Ct);
        Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
    }

    [Fact]
    public async Task Every_documented_family_is_served_and_moves_with_the_work_done()
    {
        await using var node = await KiviServerFixture.StartAsync();
        string ns = await node.CreateNamespaceAsync();
        string values = $"{KiviServerFixture.Namespaces}/{ns}/values";
        var before = await PrometheusText.ScrapeAsync(node.Client, Ct);

        using (var put = await node.Client.PutAsync($"{values}/k", new StringContent("value"), Ct)) Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        for (int i = 0; i < 4; i++)
            using (var get = await node.Client.GetAsync($"{values}/k", Ct)) Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        using (var missing = await node.Client.GetAsync($"{values}/missing", Ct)) Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using (var usage = await node.Client.GetAsync($"/client/v4/accounts/{KiviServerFixture.AccountId}/storage/kv/usage", Ct)) Assert.True(usage.IsSuccessStatusCode); // flushes usage, refreshing storage
        var after = await PrometheusText.ScrapeAsync(node.Client, Ct);

        double Delta(string name, params (string, string)[] labels) => (after.Value(name, labels) ?? 0) - (before.Value(name, labels) ?? 0);
        Assert.Equal(4, Delta("kivi_operations_total", ("operation", "get"), ("result", "ok")));
        Assert.Equal(1, Delta("kivi_operations_total", ("operation", "get"), ("result", "not_found")));
        Assert.Equal(1, Delta("kivi_operations_total", ("operation", "put"), ("result", "ok")));
        Assert.True(Delta("kivi_cache_hits_total") >= 3);
        Assert.True(Delta("kivi_store_commit_batch_size_count") >= 1);
        Assert.True(Delta("kivi_store_sync_duration_seconds_count") >= 1);
        Assert.True(after.Value("kivi_store_head_version") >= 1);
        Assert.Equal(after.Value("kivi_store_head_version"), after.Value("kivi_store_durable_version"));
        Assert.Equal(1, after.Value("kivi_storage_keys", ("namespace", ns)));
        Assert.Equal(1 + 5, after.Value("kivi_storage_size_bytes", ("namespace", ns)));
        Assert.Equal(1, after.Value("kivi_feed_connected"));
        foreach (var family in new[]
        {
            "kivi_cache_misses_total", "kivi_cache_stale_total", "kivi_cache_evictions_total", "kivi_cache_entries", "kivi_cache_size_bytes",
            "kivi_feed_lag_versions", "kivi_feed_lag_time_seconds", "kivi_feed_resets_total", "kivi_store_write_queue_depth",
            "http_server_request_duration_seconds_count",
        })
            Assert.True(after.Has(family), $"{family} is missing from /metrics");
    }

    [Fact]
    public async Task Without_an_OTLP_endpoint_nothing_traces()
    {
        await using var node = await KiviServerFixture.StartAsync();
        Assert.Null(node.Services.GetService(typeof(OpenTelemetry.Trace.TracerProvider)));
        Assert.False(Kivi.Server.Telemetry.KvSpans.Source.HasListeners());
    }
}
