
namespace Kivi.Client.Tests;

/// <summary>The in-process binding: memory hits, changes from other writers through the feed, read-your-writes.</summary>
public sealed class InProcessCacheTests(KiviServerFixture server) : IClassFixture<KiviServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_hot_read_completes_synchronously_from_memory()
    {
        await using var client = Server.Client(server);
        var kv = (KiviNamespace)client.GetNamespace(await server.CreateNamespaceAsync());
        await kv.PutAsync("hot", "value", cancellationToken: Ct);
        await kv.GetBytesAsync("hot", cancellationToken: Ct);
        long hits = kv.Cache!.Hits;
        var read = kv.GetBytesAsync("hot", cancellationToken: Ct);
        Assert.True(read.IsCompletedSuccessfully, "a cached hit must not wait for anything");
        Assert.Equal("value"u8.ToArray(), (await read)!.Value.ToArray());
        Assert.Equal(hits + 1, kv.Cache.Hits);
    }

    [Fact]
    public async Task A_change_by_another_process_reaches_the_cache_through_the_feed()
    {
        string ns = await server.CreateNamespaceAsync();
        await using var writer = Server.Client(server);
        await using var reader = Server.Client(server);
        var w = writer.GetNamespace(ns);
        var r = (KiviNamespace)reader.GetNamespace(ns);
        await w.PutAsync("flag", "off", cancellationToken: Ct);
        var oneHour = new KvReadOptions { CacheTtl = TimeSpan.FromHours(1) };
        Assert.Equal("off", await r.GetStringAsync("flag", oneHour, Ct));
        await Server.EventuallyAsync(() => Task.FromResult(r.Cache!.IsCurrent), "the reader's feed is connected and current");

        // With a one-hour cacheTtl only the feed can bring the change: no refetch would happen otherwise.
        await w.PutAsync("flag", "on", cancellationToken: Ct);
        await Server.EventuallyAsync(async () => await r.GetStringAsync("flag", oneHour, Ct) == "on", "the reader sees the new value");
        await w.PutAsync("new-key", "appears", cancellationToken: Ct);
        await Server.EventuallyAsync(async () => await r.GetStringAsync("new-key", oneHour, Ct) == "appears", "a new key is not hidden by a cached miss");
        await w.DeleteAsync("flag", Ct);
        await Server.EventuallyAsync(async () => await r.GetStringAsync("flag", oneHour, Ct) is null, "a delete reaches the reader");
    }

    [Fact]
    public async Task A_write_is_read_back_at_once_by_the_process_that_made_it()
    {
        string ns = await server.CreateNamespaceAsync();
        await using var client = Server.Client(server);
        var kv = client.GetNamespace(ns);
        var oneHour = new KvReadOptions { CacheTtl = TimeSpan.FromHours(1) };
        for (int i = 0; i < 20; i++)
        {
            long version = await kv.PutAsync("counter", i.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken: Ct);
            var entry = await kv.GetWithMetadataAsync("counter", oneHour, Ct);
            Assert.Equal((i.ToString(System.Globalization.CultureInfo.InvariantCulture), version), (entry!.Text, entry.Version));
        }
        await kv.DeleteAsync("counter", Ct);
        Assert.Null(await kv.GetStringAsync("counter", oneHour, Ct));
        var list = await kv.ListAsync(cancellationToken: Ct);
        Assert.Empty(list.Keys);
    }

    [Fact]
    public async Task Versions_never_go_back_for_a_reader_while_another_writes()
    {
        string ns = await server.CreateNamespaceAsync();
        await using var writer = Server.Client(server);
        await using var reader = Server.Client(server);
        var w = writer.GetNamespace(ns);
        var r = reader.GetNamespace(ns);
        await w.PutAsync("k", "0", cancellationToken: Ct);
        using var stop = new CancellationTokenSource();
        var writes = Task.Run(async () =>
        {
            for (int i = 1; i <= 200; i++) await w.PutAsync("k", i.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken: Ct);
            stop.Cancel();
        }, Ct);
        long last = 0;
        while (!stop.IsCancellationRequested)
        {
            var entry = await r.GetWithMetadataAsync("k", cancellationToken: Ct);
            Assert.True(entry!.Version >= last, $"version went back from {last} to {entry.Version}");
            last = entry.Version;
        }
        await writes;
        await Server.EventuallyAsync(async () => await r.GetStringAsync("k", cancellationToken: Ct) == "200", "the reader converges on the last write");
    }
}
