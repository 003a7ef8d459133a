using System.Net;
using System.Text;
using Kivi.Client.Caching;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Kivi.Client.Tests;

/// <summary>IDistributedCache over a namespace, directly and as the session store of a real ASP.NET Core app.</summary>
public sealed class DistributedCacheTests(KiviServerFixture server) : IClassFixture<KiviServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Session_state_of_a_real_app_lives_in_kivi()
    {
        string ns = await server.CreateNamespaceAsync();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddKivi(o =>
        {
            o.Url = server.BaseAddress;
            o.Token = KiviServerFixture.Token;
        }).AddNamespace("SESSIONS", o => o.NamespaceId = ns);
        builder.Services.AddKiviDistributedCache("SESSIONS", o => o.KeyPrefix = "session:");
        builder.Services.AddSession(o => o.IdleTimeout = TimeSpan.FromMinutes(20));
        await using var app = builder.Build();
        app.UseSession();
        app.MapGet("/count", async (HttpContext context) =>
        {
            await context.Session.LoadAsync();
            int n = (context.Session.GetInt32("n") ?? 0) + 1;
            context.Session.SetInt32("n", n);
            await context.Session.CommitAsync();
            return n;
        });
        await app.StartAsync(Ct);

        using var handler = new HttpClientHandler { CookieContainer = new CookieContainer() };
        using var browser = new HttpClient(handler) { BaseAddress = new Uri(app.Urls.First()) };
        for (int i = 1; i <= 3; i++) Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), await browser.GetStringAsync("/count", Ct));
        using (var stranger = new HttpClient { BaseAddress = new Uri(app.Urls.First()) })
            Assert.Equal("1", await stranger.GetStringAsync("/count", Ct)); // no cookie, a session of its own

        // The sessions are entries of the namespace, with the idle timeout as their lifetime.
        await using var client = Server.Client(server);
        var keys = new List<KvKey>();
        await foreach (var key in client.GetNamespace(new KvNamespaceOptions { NamespaceId = ns, Cache = false }).ListAllAsync("session:", cancellationToken: Ct)) keys.Add(key);
        Assert.Equal(2, keys.Count);
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Assert.All(keys, k => Assert.InRange(k.Expiration!.Value, now + 20 * 60, now + 22 * 60));
        Assert.All(keys, k => Assert.Equal(1200, k.Metadata!.Value.GetProperty("s").GetDouble()));
    }

    [Fact]
    public async Task Absolute_expiration_is_exact_even_below_the_60_second_minimum()
    {
        await using var client = Server.Client(server);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var cache = new KiviDistributedCache(client.GetNamespace(await server.CreateNamespaceAsync()), new KiviDistributedCacheOptions(), time);
        await cache.SetAsync("short", "v"u8.ToArray(), new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(5) }, Ct);
        Assert.Equal("v"u8.ToArray(), await cache.GetAsync("short", Ct));
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Null(await cache.GetAsync("short", Ct)); // the store keeps it for 60 s; the cache never returns it
        var writer = new ArrayBufferWriterOf();
        Assert.False(await cache.TryGetAsync("short", writer.Writer, Ct));
    }

    [Fact]
    public async Task Sliding_entries_are_extended_at_most_once_per_slack()
    {
        await using var client = Server.Client(server);
        var kv = client.GetNamespace(await server.CreateNamespaceAsync());
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var cache = new KiviDistributedCache(kv, new KiviDistributedCacheOptions(), time);
        var options = new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(10) };
        cache.Set("s", Encoding.UTF8.GetBytes("session"), options); // the synchronous interface too
        long written = (await kv.GetWithMetadataAsync("s", cancellationToken: Ct))!.Version;

        await cache.RefreshAsync("s", Ct); // fresh: nothing to extend
        Assert.Equal(written, (await kv.GetWithMetadataAsync("s", cancellationToken: Ct))!.Version);

        time.Advance(TimeSpan.FromMinutes(2)); // past the slack (a tenth of the window, at most 60 s)
        var writer = new ArrayBufferWriterOf();
        Assert.True(cache.TryGet("s", writer.Writer));
        Assert.Equal("session", Encoding.UTF8.GetString(writer.Written));
        long extended = (await kv.GetWithMetadataAsync("s", cancellationToken: Ct))!.Version;
        Assert.True(extended > written, "a read past the slack writes the entry again");
        Assert.Equal(extended, (await kv.GetWithMetadataAsync("s", cancellationToken: Ct))!.Version);

        await cache.RefreshAsync("s", Ct); // just extended: no second write
        Assert.Equal(extended, (await kv.GetWithMetadataAsync("s", cancellationToken: Ct))!.Version);
        await cache.RemoveAsync("s", Ct);
        Assert.Null(cache.Get("s"));
    }

    private sealed class ArrayBufferWriterOf
    {
        private readonly System.Buffers.ArrayBufferWriter<byte> _writer = new();
        public System.Buffers.IBufferWriter<byte> Writer => _writer;
        public ReadOnlySpan<byte> Written => _writer.WrittenSpan;
    }
}
