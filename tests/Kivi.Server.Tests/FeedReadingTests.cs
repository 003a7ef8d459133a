using System.Net;
using System.Text;
using Kivi.Caching;
using Kivi.Client;
using Kivi.Protocol;

namespace Kivi.Server.Tests;

/// <summary>A follower (an edge's or the SDK's <see cref="KiviUpstream"/>) reading a real node's feed from its bytes.</summary>
public sealed class FeedReadingTests(KiviServerFixture server) : IClassFixture<KiviServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<long> PutAsync(string ns, string key, string value)
    {
        using var r = await server.Client.PutAsync($"{KiviServerFixture.Namespaces}/{ns}/values/{Uri.EscapeDataString(key)}", new StringContent(value), Ct);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        return long.Parse(r.Headers.GetValues("Kivi-Version").Single(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task A_follower_reads_every_line_whatever_its_size_and_however_the_bytes_arrive()
    {
        // Lines from a few bytes to past the follower's 64 KiB buffer (a 60,000-byte value inline), and a bulk write's
        // 500 lines arriving together, so lines cross every boundary of what one read returns.
        string ns = await server.CreateNamespaceAsync();
        long start = await PutAsync(ns, "warmup", "x");
        var expected = new Dictionary<string, string>();
        foreach (int size in new[] { 0, 1, 1_000, 30_000, 60_000, 7 })
        {
            string key = $"sized/{size}/\u00e9\"q";
            expected[key] = new string((char)('a' + size % 26), size);
            await PutAsync(ns, key, expected[key]);
        }
        var bulk = Enumerable.Range(0, 500).Select(i => new { key = $"bulk/{i:D3}", value = new string('b', i * 7) }).ToArray();
        using (var r = await server.Client.PutAsync($"{KiviServerFixture.Namespaces}/{ns}/bulk", KiviServerFixture.Json(bulk), Ct)) Assert.True(r.IsSuccessStatusCode);
        foreach (var item in bulk) expected[item.key] = item.value;
        long last = await PutAsync(ns, "last", "end");
        expected["last"] = "end";

        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        var upstream = new KiviUpstream(http, KiviServerFixture.Token, new KvCacheOptions());
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(30));
        var seen = new Dictionary<string, string>();
        long version = start;
        await foreach (var e in upstream.ReadAsync(new FeedPosition(start), deadline.Token))
        {
            if (e.Type != FeedLineType.Change) continue; // heartbeats
            Assert.False(e.Is(ChangeKind.Reset), "the feed was reset");
            Assert.True(e.Version > version, $"version {e.Version} after {version}");
            version = e.Version;
            seen[Encoding.UTF8.GetString(e.Key!)] = Encoding.UTF8.GetString(e.Value ?? throw new Xunit.Sdk.XunitException($"no value inline for version {e.Version}"));
            if (e.Version == last) break;
        }
        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), seen.OrderBy(p => p.Key, StringComparer.Ordinal));
    }
}
