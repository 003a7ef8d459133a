using System.Net;
using Kivi.Core.Storage;
using Kivi.Protocol;
using Kivi.Server.Quotas;
using Kivi.Storage.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Kivi.Server.Tests;

/// <summary>Quotas and the per-key write limit: the rules on a real SQLite store with a fake clock, and the answers over HTTP.</summary>
public sealed class QuotaTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private const string Account = "a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0";

    private static async Task<(SqliteKvEngine Engine, KvNamespace Ns, string Folder)> StoreAsync()
    {
        string folder = Directory.CreateTempSubdirectory("kivi-quota-").FullName;
        var engine = new SqliteKvEngine(new SqliteKvOptions { DatabasePath = Path.Combine(folder, "kivi.db"), Durable = false });
        await engine.InitializeAsync(Ct);
        await engine.WriteAsync(new EnsureAccount(Account, "t"));
        var created = await engine.WriteAsync(new CreateNamespace(Account, Guid.NewGuid().ToString("N"), "q", 1000));
        return (engine, created.Namespace!, folder);
    }

    [Fact]
    public async Task A_daily_quota_refuses_the_operation_past_it_with_Cloudflares_answer_and_lets_the_next_day_through()
    {
        var (engine, ns, folder) = await StoreAsync();
        await using var _ = engine;
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 23, 59, 0, TimeSpan.Zero));
        var quotas = new StoreQuotas(QuotaRule.Parse("account:*:day:writes=2,reads=3"), engine, clock, null);

        await quotas.AdmitAsync(ns, UsageKind.Writes, 2, Ct);
        var refused = await Assert.ThrowsAsync<KvException>(async () => await quotas.AdmitAsync(ns, UsageKind.Writes, 1, Ct));
        Assert.Equal((429, 10048, "your account has reached the free usage limit for this operation for today"), (refused.StatusCode, refused.Code, refused.Message));
        await quotas.AdmitAsync(ns, UsageKind.Reads, 3, Ct); // each kind has its own count
        Assert.False(quotas.TryAdmitRead(ns));
        Assert.Equal(["reads"], Assert.Single(quotas.Exhausted(_ => true)).Kinds.Where(k => k == "reads"));

        clock.Advance(TimeSpan.FromMinutes(1)); // 00:00 UTC: a new day
        await quotas.AdmitAsync(ns, UsageKind.Writes, 2, Ct);
        Assert.True(quotas.TryAdmitRead(ns));
        Directory.Delete(folder, true);
    }

    [Fact]
    public async Task A_quota_counts_what_the_store_already_recorded_today_and_what_edges_report()
    {
        var (engine, ns, folder) = await StoreAsync();
        await using var _ = engine;
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        long hour = UsageReport.HourOf(clock.GetUtcNow().ToUnixTimeMilliseconds());
        await engine.WriteAsync(new RecordUsage(new UsageReport(null, 0, [new UsageCount(Account, ns.Id, hour, 8, 0, 0)]))); // before a restart, say
        var quotas = new StoreQuotas(QuotaRule.Parse($"namespace:{ns.Id}:month:reads=10"), engine, clock, null);
        await quotas.AdmitAsync(ns, UsageKind.Reads, 1, Ct);
        quotas.Reported([new UsageCount(Account, ns.Id, hour, 1, 0, 0)]);
        var refused = await Assert.ThrowsAsync<KvException>(async () => await quotas.AdmitAsync(ns, UsageKind.Reads, 1, Ct));
        Assert.Equal("this namespace has reached its usage limit for this operation for this month", refused.Message);
        Directory.Delete(folder, true);
    }

    [Fact]
    public async Task A_storage_quota_refuses_writes_once_the_namespace_holds_that_much_but_never_deletes()
    {
        var (engine, ns, folder) = await StoreAsync();
        await using var _ = engine;
        await engine.WriteAsync(new PutEntries(ns, [new EntryWrite("k"u8.ToArray(), Kivi.Core.ValueBuffer.FromBytes(new byte[100]), null, null)]));
        var quotas = new StoreQuotas(QuotaRule.Parse("account:*:day:storage_bytes=100"), engine, new FakeTimeProvider(DateTimeOffset.UtcNow), null);
        var refused = await Assert.ThrowsAsync<KvException>(async () => await quotas.AdmitAsync(ns, UsageKind.Writes, 1, Ct));
        Assert.Contains("storage limit of 100 bytes", refused.Message, StringComparison.Ordinal);
        await quotas.AdmitAsync(ns, UsageKind.Deletes, 1, Ct);
        Directory.Delete(folder, true);
    }

    [Fact]
    public void The_per_key_write_limit_admits_one_write_a_second_per_key()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var limiter = new KeyWriteLimiter(clock, TimeSpan.FromSeconds(1));
        var ns = new KvNamespace(1, "ns", Account, "t");
        limiter.Admit(ns, "k"u8.ToArray());
        limiter.Admit(ns, "other"u8.ToArray());
        var refused = Assert.Throws<KvException>(() => limiter.Admit(ns, "k"u8.ToArray()));
        Assert.Equal((429, KvErrorCode.KeyWriteRateLimited), (refused.StatusCode, refused.Code));
        clock.Advance(TimeSpan.FromSeconds(1));
        limiter.Admit(ns, "k"u8.ToArray());
    }

    [Fact]
    public void A_malformed_quota_is_refused_at_start_with_the_syntax()
    {
        var e = Assert.Throws<KiviOptionsException>(() => QuotaRule.Parse("account:*:week:writes=10"));
        Assert.Contains("account|namespace:ID|*:day|month", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Over_HTTP_an_operation_past_its_quota_is_429_with_code_10048_and_changes_nothing()
    {
        await using var node = await KiviServerFixture.StartAsync("--quota", "account:*:day:writes=2,lists=1", "--key-write-limit", "true", "--key-write-interval", "01:00:00");
        string ns = $"{KiviServerFixture.Namespaces}/{await node.CreateNamespaceAsync()}";
        using (var first = await node.Client.PutAsync($"{ns}/values/a", new StringContent("1"), Ct)) Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using (var again = await node.Client.PutAsync($"{ns}/values/a", new StringContent("2"), Ct))
        {
            var refused = await Api.ReadAsync(again);
            Assert.Equal((HttpStatusCode.TooManyRequests, KvErrorCode.KeyWriteRateLimited), (refused.Status, refused.ErrorCode));
        }
        using (var second = await node.Client.PutAsync($"{ns}/values/b", new StringContent("1"), Ct)) Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        using (var third = await node.Client.PutAsync($"{ns}/values/c", new StringContent("1"), Ct))
        {
            var refused = await Api.ReadAsync(third);
            Assert.Equal((HttpStatusCode.TooManyRequests, 10048), (refused.Status, refused.ErrorCode));
            Assert.Contains("your account has reached the free usage limit for this operation for today", refused.ErrorMessage, StringComparison.Ordinal);
        }
        using (var c = await node.Client.GetAsync($"{ns}/values/c", Ct)) Assert.Equal(HttpStatusCode.NotFound, c.StatusCode); // nothing stored
        using (var a = await node.Client.GetAsync($"{ns}/values/a", Ct)) Assert.Equal("1", await a.Content.ReadAsStringAsync(Ct));
        using (var list = await node.Client.GetAsync($"{ns}/keys", Ct)) Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        using (var list = await node.Client.GetAsync($"{ns}/keys", Ct)) Assert.Equal(HttpStatusCode.TooManyRequests, list.StatusCode);
    }
}
