using System.Net;

namespace Kivi.Cluster.Tests;

/// <summary>
/// Edges whose origin comes back as a different store (an empty data folder) or as an older copy of the
/// same one (a restored backup): they notice, drop what they hold, say so, and follow the store that is there.
/// </summary>
public sealed class OriginReplacedTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_edge_whose_origin_comes_back_as_an_empty_store_drops_what_it_held()
    {
        // The admin token fills the edge: the replication token is gone with the old store.
        await using var cluster = await EdgeCluster.StartAsync(1, edgeArgs: ["--upstream-token", EdgeCluster.AdminToken]);
        using var edge = cluster.EdgeClient(0);
        await EdgeCluster.PutAsync(cluster.Admin, cluster.ValuePath("held"), "old store");
        await EdgeCluster.WaitUntilAsync(async () => (await EdgeCluster.GetAsync(edge, cluster.ValuePath("held"))).Value == "old store", Deadline, "the edge serves the old store's value");
        Assert.Equal(404, (await EdgeCluster.GetAsync(edge, cluster.ValuePath("fresh"))).Status); // cached as a miss

        string empty = Directory.CreateTempSubdirectory("kivi-empty-").FullName;
        try
        {
            await cluster.KillOriginAsync();
            await cluster.RestartOriginAsync(empty);
            using (var created = await cluster.Admin.PostAsync($"/client/v4/accounts/{EdgeCluster.Account}/storage/kv/namespaces", KiviServerFixture.Json(new { title = "edge-tests", id = cluster.Namespace }), Ct))
                Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync(Ct));
            await EdgeCluster.PutAsync(cluster.Admin, cluster.ValuePath("fresh"), "new store");

            await EdgeCluster.WaitUntilAsync(async () =>
                (await EdgeCluster.GetAsync(edge, cluster.ValuePath("held"))).Status == 404
                && (await EdgeCluster.GetAsync(edge, cluster.ValuePath("fresh"))).Value == "new store", Deadline,
                "the edge forgets the old store and serves the new one");
            var held = await EdgeCluster.GetAsync(edge, cluster.ValuePath("held"));
            Assert.Null(held.Stale);

            // Read-your-writes through the edge holds again: the old store's higher version no longer shadows it.
            long version = await EdgeCluster.PutAsync(edge, cluster.ValuePath("held"), "written through the edge");
            var read = await EdgeCluster.GetAsync(edge, cluster.ValuePath("held"));
            Assert.Equal(("written through the edge", version), (read.Value, read.Version));
            Assert.Contains("Cache reset", cluster.Edges[0].Output, StringComparison.Ordinal);
        }
        finally
        {
            await cluster.KillOriginAsync();
            Directory.Delete(empty, recursive: true);
        }
    }

    /// <summary>
    /// Writes "before the backup", copies the origin's data (crash-consistent: the origin is SIGKILLed first),
    /// restarts it and writes "after the backup" (and <paramref name="lost"/>); returns the copy's folder.
    /// </summary>
    private static async Task<string> BackUpThenWritePastItAsync(EdgeCluster cluster, string? lost = null)
    {
        await EdgeCluster.PutAsync(cluster.Admin, cluster.ValuePath("k"), "before the backup");
        await cluster.KillOriginAsync();
        string backup = Directory.CreateTempSubdirectory("kivi-backup-").FullName;
        foreach (var file in Directory.GetFiles(cluster.OriginData)) File.Copy(file, Path.Combine(backup, Path.GetFileName(file)));
        await cluster.RestartOriginAsync();
        await EdgeCluster.PutAsync(cluster.Admin, cluster.ValuePath("k"), "after the backup");
        if (lost is not null) await EdgeCluster.PutAsync(cluster.Admin, cluster.ValuePath(lost), "only in the lost history");
        return backup;
    }

    /// <summary>
    /// Restores the copy while the first edge cannot reach the feed, and writes past its position: only the
    /// history marker can then tell it that its position belongs to a history the store lost.
    /// </summary>
    private static async Task RestoreWhileTheFeedIsCutAsync(EdgeCluster cluster, string backup)
    {
        cluster.Gates[0].Cut();
        await cluster.KillOriginAsync();
        await cluster.RestartOriginAsync(backup);
        for (int i = 0; i < 10; i++) await EdgeCluster.PutAsync(cluster.Admin, cluster.ValuePath($"filler{i}"), "x");
        cluster.Gates[0].Resume();
    }

    [Fact]
    public async Task An_edge_whose_origin_is_restored_from_an_older_copy_follows_the_restored_history()
    {
        await using var cluster = await EdgeCluster.StartAsync(1);
        using var edge = cluster.EdgeClient(0);
        string backup = await BackUpThenWritePastItAsync(cluster, lost: "lost");
        try
        {
            await EdgeCluster.WaitUntilAsync(async () => (await EdgeCluster.GetAsync(edge, cluster.ValuePath("k"))).Value == "after the backup"
                && (await EdgeCluster.GetAsync(edge, cluster.ValuePath("lost"))).Value is not null, Deadline, "the edge serves the later history");
            await RestoreWhileTheFeedIsCutAsync(cluster, backup);
            using (var origin = await cluster.Admin.GetAsync(cluster.ValuePath("k"), Ct)) Assert.Equal("before the backup", await origin.Content.ReadAsStringAsync(Ct));

            await EdgeCluster.WaitUntilAsync(async () => (await EdgeCluster.GetAsync(edge, cluster.ValuePath("k"))).Value == "before the backup"
                && (await EdgeCluster.GetAsync(edge, cluster.ValuePath("lost"))).Status == 404, Deadline, "the edge follows the restored history",
                () => ". Edge log:\n" + cluster.Edges[0].Output);
            long version = await EdgeCluster.PutAsync(cluster.Admin, cluster.ValuePath("k"), "after the restore");
            await EdgeCluster.WaitUntilAsync(async () => (await EdgeCluster.GetAsync(edge, cluster.ValuePath("k"))).Version == version, Deadline, "a later change reaches the edge");
            Assert.Contains("Cache reset", cluster.Edges[0].Output, StringComparison.Ordinal);
        }
        finally
        {
            await cluster.KillOriginAsync();
            Directory.Delete(backup, recursive: true);
        }
    }

    /// <summary>
    /// The edge's feed is cut before the backup and stays cut until after the restore, so its position and epoch
    /// lie in the history the backup kept, while what it read and wrote meanwhile came from the history the restore
    /// lost. Its position alone would let it resume and keep serving those answers; the answers' epoch must not.
    /// </summary>
    [Fact]
    public async Task An_edge_that_only_read_and_wrote_the_lost_history_drops_it_when_the_origin_is_restored()
    {
        await using var cluster = await EdgeCluster.StartAsync(1);
        using var edge = cluster.EdgeClient(0);
        await EdgeCluster.PutAsync(cluster.Admin, cluster.ValuePath("k"), "before the backup");
        await EdgeCluster.WaitUntilAsync(async () => (await EdgeCluster.GetAsync(edge, cluster.ValuePath("k"))).Value == "before the backup", Deadline, "the edge follows the origin");
        cluster.Gates[0].Cut();
        await cluster.KillOriginAsync();
        string backup = Directory.CreateTempSubdirectory("kivi-backup-").FullName;
        foreach (var file in Directory.GetFiles(cluster.OriginData)) File.Copy(file, Path.Combine(backup, Path.GetFileName(file)));
        try
        {
            await cluster.RestartOriginAsync();
            await EdgeCluster.PutAsync(cluster.Admin, cluster.ValuePath("read"), "only in the lost history");
            Assert.Equal("only in the lost history", (await EdgeCluster.GetAsync(edge, cluster.ValuePath("read"))).Value); // filled from the lost history
            long written = await EdgeCluster.PutAsync(edge, cluster.ValuePath("written"), "written in the lost history");
            Assert.Equal(("written in the lost history", written), ((await EdgeCluster.GetAsync(edge, cluster.ValuePath("written"))).Value, (await EdgeCluster.GetAsync(edge, cluster.ValuePath("written"))).Version));

            await cluster.KillOriginAsync();
            await cluster.RestartOriginAsync(backup);
            for (int i = 0; i < 10; i++) await EdgeCluster.PutAsync(cluster.Admin, cluster.ValuePath($"filler{i}"), "x"); // the restored history passes the lost one's versions
            cluster.Gates[0].Resume();

            await EdgeCluster.WaitUntilAsync(async () => (await EdgeCluster.GetAsync(edge, cluster.ValuePath("read"))).Status == 404
                && (await EdgeCluster.GetAsync(edge, cluster.ValuePath("written"))).Status == 404, Deadline, "the edge drops what it read and wrote in the lost history",
                () => ". Edge log:\n" + cluster.Edges[0].Output);
            Assert.Contains("Cache reset", cluster.Edges[0].Output, StringComparison.Ordinal);
        }
        finally
        {
            await cluster.KillOriginAsync();
            Directory.Delete(backup, recursive: true);
        }
    }

    [Fact]
    public async Task A_lower_tier_drops_what_it_held_when_the_edge_it_follows_resets()
    {
        await using var cluster = await EdgeCluster.StartAsync(1);
        var regional = cluster.Edges[0];
        var (local, localClient) = await cluster.StartLowerTierAsync(); // following the regional edge's feed: the reset must reach it through that feed
        string backup = await BackUpThenWritePastItAsync(cluster);
        try
        {
            await EdgeCluster.WaitUntilAsync(async () => (await EdgeCluster.GetAsync(localClient, cluster.ValuePath("k"))).Value == "after the backup", Deadline,
                "the local edge, two tiers down, serves the later history");
            await RestoreWhileTheFeedIsCutAsync(cluster, backup); // the regional edge's feed; the local edge follows the regional edge

            await EdgeCluster.WaitUntilAsync(async () => (await EdgeCluster.GetAsync(localClient, cluster.ValuePath("k"))).Value == "before the backup", Deadline,
                "the local edge follows the restored history too",
                () => ". Regional edge's log:\n" + regional.Output + "\nLocal edge's log:\n" + local.Output);
            Assert.Contains("Cache reset", regional.Output, StringComparison.Ordinal);
            Assert.Contains("Cache reset", local.Output, StringComparison.Ordinal);
        }
        finally
        {
            await cluster.KillOriginAsync();
            Directory.Delete(backup, recursive: true);
        }
    }

    /// <summary>
    /// A lower tier whose feed has not yet connected once (it had nothing to resume with, so no upstream could check it)
    /// reads through the regional edge from the history a restore then loses. When its feed first connects, the lineage
    /// the regional edge relays does not pass through those answers: it drops them rather than serve them for their cacheTtl.
    /// </summary>
    [Fact]
    public async Task A_lower_tier_that_read_before_its_feed_ever_connected_drops_answers_from_a_lost_history()
    {
        await using var cluster = await EdgeCluster.StartAsync(1);
        var regional = cluster.Edges[0];
        string backup = await BackUpThenWritePastItAsync(cluster);
        try
        {
            var (local, localClient) = await cluster.StartLowerTierAsync(feedCut: true);
                await EdgeCluster.WaitUntilAsync(async () => (await EdgeCluster.GetAsync(localClient, cluster.ValuePath("k"))).Value == "after the backup", Deadline,
                "the local edge reads the later history through the regional edge"); // held for the default cacheTtl (60 s)
            await RestoreWhileTheFeedIsCutAsync(cluster, backup);
            using var regionalClient = EdgeCluster.Client(regional.BaseAddress, EdgeCluster.AdminToken);
            await EdgeCluster.WaitUntilAsync(async () => (await EdgeCluster.GetAsync(regionalClient, cluster.ValuePath("k"))).Value == "before the backup", Deadline,
                "the regional edge follows the restored history");
            Assert.DoesNotContain("Cache reset", local.Output, StringComparison.Ordinal);

            cluster.Gates[1].Resume(); // the local edge's feed connects for the first time
            await EdgeCluster.WaitUntilAsync(async () => (await EdgeCluster.GetAsync(localClient, cluster.ValuePath("k"))).Value == "before the backup", Deadline,
                "the local edge drops what it read from the lost history", () => ". Local edge's log:\n" + local.Output);
            Assert.Contains("a history the upstream no longer has", local.Output, StringComparison.Ordinal);
        }
        finally
        {
            await cluster.KillOriginAsync();
            Directory.Delete(backup, recursive: true);
        }
    }
}
