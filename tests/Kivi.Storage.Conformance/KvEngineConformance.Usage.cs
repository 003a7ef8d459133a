using System.Text;
using Kivi.Core;
using Kivi.Core.Storage;
using Kivi.Protocol;
using Xunit;

namespace Kivi.Storage.Conformance;

/// <summary>The audit (who changed what, when), usage by operation and storage counts, on every engine.</summary>
public abstract partial class KvEngineConformance
{
    private long Hour => UsageReport.HourOf(Clock.GetUtcNow().ToUnixTimeMilliseconds());

    private async Task<IReadOnlyList<AuditRecord>> Audit(string? key = null, long before = long.MaxValue, int limit = 100, long since = 0, long until = long.MaxValue) =>
        await Engine.ReadAuditAsync(new AuditQuery(Account, Ns.Id, key is null ? null : Encoding.UTF8.GetBytes(key), since, until, before, limit), CancellationToken.None);

    private async Task<UsageRecord> UsageNow() =>
        Assert.Single(await Engine.ReadUsageAsync(Account, Ns.Id, Hour, Hour + 3600, CancellationToken.None));

    private async Task<StorageUsage> Stored() =>
        Assert.Single((await Engine.ReadStorageAsync(Account, CancellationToken.None)).Where(s => s.NamespaceId == Ns.Id));

    [Fact]
    public async Task The_audit_names_the_token_and_time_of_every_change_newest_first()
    {
        long at = Clock.GetUtcNow().ToUnixTimeMilliseconds();
        long v1 = await Put("flag", "on");
        Clock.Advance(TimeSpan.FromSeconds(5));
        await Put("other", "x");
        long v3 = await Kv.DeleteAsync(Ns, "flag", Writer);

        var all = await Audit();
        Assert.Equal([v3, v3 - 1, v1], all.Select(a => a.Version));
        Assert.Equal([ChangeKind.Delete, ChangeKind.Put, ChangeKind.Put], all.Select(a => a.Kind));
        Assert.All(all, a => Assert.Equal(("token-1", "conformance writer"), (a.TokenId, a.TokenName)));
        Assert.Equal(at, all[^1].At);
        Assert.Equal(at + 5000, all[0].At);

        var flag = await Audit("flag");
        Assert.Equal([v3, v1], flag.Select(a => a.Version));
        Assert.Equal([v1], (await Audit("flag", before: v3)).Select(a => a.Version)); // the next page
        Assert.Equal([v1], (await Audit(until: at + 1)).Select(a => a.Version)); // a time range
        Assert.Equal(2, (await Audit(since: at + 5000)).Count);
        Assert.Single(await Audit(limit: 1));
    }

    [Fact]
    public async Task Usage_counts_each_key_written_or_deleted_including_missing_keys()
    {
        await Put("a", "12345");
        await Kv.BulkPutAsync(Ns, [new BulkWriteItem { Key = "b", Value = "xy" }, new BulkWriteItem { Key = "c", Value = "z" }], Writer);
        await Kv.DeleteAsync(Ns, "a", Writer);
        await Kv.BulkDeleteAsync(Ns, ["b", "never-was"], Writer);

        var usage = await UsageNow();
        Assert.Equal((3L, 3L, 8L), (usage.Writes, usage.Deletes, usage.WriteBytes));
        Assert.Equal((0L, 0L), (usage.Reads, usage.Lists));
    }

    [Fact]
    public async Task Storage_counts_follow_puts_overwrites_deletes_and_expiry_without_a_scan()
    {
        await Put("k1", "1234567890", metadata: "{\"a\":1}"); // 2 + 10 + 7
        await Put("k2", "abc");                               // 2 + 3
        Assert.Equal((2L, 24L), ((await Stored()).Keys, (await Stored()).Bytes));
        await Put("k1", "12345");                             // overwritten: 2 + 5
        Assert.Equal((2L, 12L), ((await Stored()).Keys, (await Stored()).Bytes));
        await Kv.DeleteAsync(Ns, "k2", Writer);
        await Kv.DeleteAsync(Ns, "k2", Writer);
        Assert.Equal((1L, 7L), ((await Stored()).Keys, (await Stored()).Bytes));
        await Put("short", "v", ttl: "60");
        Clock.Advance(TimeSpan.FromSeconds(61));
        // Purged here, or already by the sweeper of a node serving this store (it runs on the real clock): either way through the purge.
        Assert.InRange(await Engine.PurgeExpiredAsync(Now, 100, CancellationToken.None), 0, 1);
        Assert.Equal((1L, 7L), ((await Stored()).Keys, (await Stored()).Bytes));
        // The last hour's row (the minute the clock moved on may have crossed into the next hour), as its last change (here, expiry) left it.
        var usage = (await Engine.ReadUsageAsync(Account, Ns.Id, 0, long.MaxValue, CancellationToken.None)).MaxBy(u => u.Hour)!;
        Assert.Equal((1L, 7L), (usage.Keys, usage.Bytes));
    }

    [Fact]
    public async Task A_usage_report_is_applied_once_however_often_it_is_sent()
    {
        var report = new UsageReport("edge-a", 1, [new UsageCount(Account, Ns.Id, Hour, Reads: 7, Lists: 2, ReadBytes: 700)]);
        await Engine.WriteAsync(new RecordUsage(report));
        await Engine.WriteAsync(new RecordUsage(report));
        await Engine.WriteAsync(new RecordUsage(report with { Sequence = 2, Rows = [new UsageCount(Account, Ns.Id, Hour, 1, 0, 10)] }));
        await Engine.WriteAsync(new RecordUsage(report)); // late duplicate of an older report
        await Engine.WriteAsync(new RecordUsage(new UsageReport(null, 0, [new UsageCount(Account, Ns.Id, Hour, 100, 0, 0)]))); // a store's own

        var usage = await UsageNow();
        Assert.Equal((108L, 2L, 710L), (usage.Reads, usage.Lists, usage.ReadBytes));
    }

    [Fact]
    public async Task A_dropped_namespace_keeps_its_audit_line_and_usage_but_not_its_storage()
    {
        await Put("k", "v");
        await Kv.DeleteNamespaceAsync(Account, Ns.Id, Writer, CancellationToken.None);
        var dropped = (await Audit())[0];
        Assert.Equal((ChangeKind.NamespaceDropped, "token-1"), (dropped.Kind, dropped.TokenId));
        Assert.DoesNotContain(await Engine.ReadStorageAsync(Account, CancellationToken.None), s => s.NamespaceId == Ns.Id);
        Assert.Equal(1, (await UsageNow()).Writes);
    }
}
