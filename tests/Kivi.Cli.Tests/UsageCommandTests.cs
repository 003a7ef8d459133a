using System.Text.Json;

namespace Kivi.Cli.Tests;

/// <summary><c>kivi usage</c> and <c>kivi audit</c> against a real server of their own, so every count is known.</summary>
public sealed class UsageCommandTests : IAsyncLifetime
{
    private KiviServerFixture _server = null!;

    public async ValueTask InitializeAsync() => _server = await KiviServerFixture.StartAsync();

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Usage_shows_each_kind_of_operation_by_hour_and_what_Workers_KV_would_charge()
    {
        using var cli = new Cli(_server);
        string ns = await _server.CreateNamespaceAsync("usage-cli");
        await cli.OkAsync("key", "put", ns, "a", "12345");
        await cli.OkAsync("key", "put", ns, "b", "x");
        await cli.OkAsync("key", "get", ns, "a");
        await cli.OkAsync("key", "delete", ns, "b");

        var json = JsonDocument.Parse((await cli.OkAsync("usage", "--namespace", "usage-cli", "--json")).Stdout).RootElement;
        var totals = json.GetProperty("totals");
        Assert.Equal((1, 2, 1), (totals.GetProperty("reads").GetInt64(), totals.GetProperty("writes").GetInt64(), totals.GetProperty("deletes").GetInt64()));
        Assert.Equal(0m, json.GetProperty("workers_kv_cost_usd").GetProperty("total").GetDecimal()); // well inside the allowances

        string table = (await cli.OkAsync("usage", "--since", "2h", "--by", "day")).Out;
        Assert.Contains("usage-cli", table, StringComparison.Ordinal);
        Assert.Contains("On Workers KV", table, StringComparison.Ordinal);
        var refused = await cli.ExpectAsync(ExitCodes.Usage, "usage", "--since", "last tuesday");
        Assert.Contains("--since must be a time", refused.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_lists_who_changed_a_key_newest_first()
    {
        using var cli = new Cli(_server);
        string ns = await _server.CreateNamespaceAsync("audit-cli");
        await cli.OkAsync("key", "put", ns, "flags/checkout", "on");
        await cli.OkAsync("key", "put", ns, "flags/checkout", "off");
        await cli.OkAsync("key", "put", ns, "other", "x");

        var json = JsonDocument.Parse((await cli.OkAsync("audit", "audit-cli", "--key", "flags/checkout", "--json")).Stdout).RootElement;
        var changes = json.GetProperty("changes").EnumerateArray().ToArray();
        Assert.Equal(2, changes.Length);
        Assert.True(changes[0].GetProperty("version").GetInt64() > changes[1].GetProperty("version").GetInt64());
        Assert.All(changes, c => Assert.Equal("admin token", c.GetProperty("token_name").GetString()));
        Assert.Equal(2, JsonDocument.Parse((await cli.OkAsync("audit", "audit-cli", "--limit", "2", "--json")).Stdout).RootElement.GetProperty("changes").GetArrayLength());
        Assert.Contains("flags/checkout", (await cli.OkAsync("audit", "audit-cli")).Out, StringComparison.Ordinal);
    }

    [Fact]
    public void The_cost_estimate_charges_only_past_the_prorated_allowance()
    {
        var usage = new Kivi.Protocol.UsageMetrics(Reads: 20_000_000, Writes: 3_000_000, Deletes: 0, Lists: 1_000_000, ReadBytes: 0, WriteBytes: 0);
        var cost = Kivi.Protocol.WorkersKvPrices.Published.Estimate(usage, storedBytes: 3_000_000_000, days: 30);
        Assert.Equal(5.00m, cost.Reads);    // 10 M past the 10 M included, at $0.50 a million
        Assert.Equal(10.00m, cost.Writes);  // 2 M past 1 M, at $5
        Assert.Equal(0m, cost.Lists);       // exactly the allowance
        Assert.Equal(1.00m, cost.Storage);  // 2 GB past 1 GB for a month, at $0.50
        Assert.Equal(16.00m, cost.Total);
    }
}
