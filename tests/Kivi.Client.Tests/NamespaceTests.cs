using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Kivi.Protocol;

namespace Kivi.Client.Tests;

public sealed record Profile(string Name, int Visits);

[JsonSerializable(typeof(Profile))]
internal sealed partial class TestJson : JsonSerializerContext;

/// <summary>Every method of IKvNamespace against a real server, with the in-process cache on and off.</summary>
public sealed class NamespaceTests(KiviServerFixture server) : IClassFixture<KiviServerFixture>, IAsyncLifetime
{
    private KiviClient _client = null!;

    public ValueTask InitializeAsync()
    {
        _client = Server.Client(server);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _client.DisposeAsync();

    private async Task<IKvNamespace> NamespaceAsync(bool cache) =>
        _client.GetNamespace(new KvNamespaceOptions { NamespaceId = await server.CreateNamespaceAsync(), Cache = cache });

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Values_read_back_as_text_bytes_stream_and_json(bool cache)
    {
        var kv = await NamespaceAsync(cache);
        long v1 = await kv.PutAsync("greeting", "héllo", cancellationToken: Ct);
        long v2 = await kv.PutAsync("blob", new byte[] { 0, 1, 2, 255 }, cancellationToken: Ct);
        long v3 = await kv.PutJsonAsync("profile", new Profile("ada", 3), TestJson.Default.Profile, cancellationToken: Ct);
        Assert.True(v1 < v2 && v2 < v3);

        Assert.Equal("héllo", await kv.GetStringAsync("greeting", cancellationToken: Ct));
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, (await kv.GetBytesAsync("blob", cancellationToken: Ct))!.Value.ToArray());
        await using (var stream = await kv.GetStreamAsync("blob", cancellationToken: Ct))
        {
            var copy = new MemoryStream();
            await stream!.CopyToAsync(copy, Ct);
            Assert.Equal(new byte[] { 0, 1, 2, 255 }, copy.ToArray());
        }
        Assert.Equal(new Profile("ada", 3), await kv.GetJsonAsync("profile", TestJson.Default.Profile, cancellationToken: Ct));
        Assert.Null(await kv.GetStringAsync("missing", cancellationToken: Ct));
        Assert.Null(await kv.GetBytesAsync("missing", cancellationToken: Ct));
        Assert.Null(await kv.GetStreamAsync("missing", cancellationToken: Ct));
        Assert.Null(await kv.GetJsonAsync("missing", TestJson.Default.Profile, cancellationToken: Ct));
        var notJson = await Assert.ThrowsAsync<KvException>(async () => await kv.GetJsonAsync("greeting", TestJson.Default.Profile, cancellationToken: Ct));
        Assert.Equal(KvErrorCode.NotJson, notJson.Code);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Metadata_expiration_and_version_come_with_the_value(bool cache)
    {
        var kv = await NamespaceAsync(cache);
        var metadata = JsonDocument.Parse("""{"owner":"ada","tags":["a","ü"]}""").RootElement;
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        long version = await kv.PutAsync("k", "v", new KvPutOptions { ExpirationTtl = TimeSpan.FromSeconds(120), Metadata = metadata }, Ct);
        var entry = await kv.GetWithMetadataAsync("k", cancellationToken: Ct);
        Assert.NotNull(entry);
        Assert.Equal("v", entry.Text);
        Assert.Equal(version, entry.Version);
        Assert.Equal("""{"owner":"ada","tags":["a","ü"]}""", entry.MetadataJson);
        Assert.Equal("ada", entry.Metadata!.Value.GetProperty("owner").GetString());
        Assert.InRange(entry.Expiration!.Value, now + 119, now + 122);

        var at = DateTimeOffset.UtcNow.AddHours(1);
        await kv.PutAsync("abs", "v", new KvPutOptions { Expiration = at }, Ct);
        Assert.Equal(at.ToUnixTimeSeconds(), (await kv.GetWithMetadataAsync("abs", cancellationToken: Ct))!.Expiration);
        Assert.Null(await kv.GetWithMetadataAsync("missing", cancellationToken: Ct));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Delete_removes_and_a_missing_key_is_fine(bool cache)
    {
        var kv = await NamespaceAsync(cache);
        long put = await kv.PutAsync("gone", "v", cancellationToken: Ct);
        Assert.Equal("v", await kv.GetStringAsync("gone", cancellationToken: Ct));
        long deleted = await kv.DeleteAsync("gone", Ct);
        Assert.True(deleted > put);
        Assert.Null(await kv.GetStringAsync("gone", cancellationToken: Ct));
        await kv.DeleteAsync("never-there", Ct);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Lists_walk_pages_in_byte_order_with_metadata(bool cache)
    {
        var kv = await NamespaceAsync(cache);
        var names = Enumerable.Range(0, 25).Select(i => $"user/{i:D2}").Append("other").Append("user/é").ToArray();
        foreach (var name in names)
            await kv.PutAsync(name, "v", new KvPutOptions { Metadata = JsonDocument.Parse($$"""{"n":"{{name}}"}""").RootElement }, Ct);

        var first = await kv.ListAsync(new KvListOptions { Prefix = "user/", Limit = 10 }, Ct);
        Assert.Equal(10, first.Keys.Count);
        Assert.False(first.ListComplete);
        Assert.NotNull(first.Cursor);
        Assert.Equal("user/00", first.Keys[0].Name);
        Assert.Equal("user/00", first.Keys[0].Metadata!.Value.GetProperty("n").GetString());
        var second = await kv.ListAsync(new KvListOptions { Prefix = "user/", Limit = 10, Cursor = first.Cursor }, Ct);
        Assert.Equal("user/10", second.Keys[0].Name);

        var all = new List<string>();
        await foreach (var key in kv.ListAllAsync("user/", cancellationToken: Ct)) all.Add(key.Name);
        var expected = names.Where(n => n.StartsWith("user/", StringComparison.Ordinal)).OrderBy(n => Encoding.UTF8.GetBytes(n), ByteOrder.Instance).ToList();
        Assert.Equal(expected, all);
        var everything = await kv.ListAsync(cancellationToken: Ct);
        Assert.True(everything.ListComplete);
        Assert.Null(everything.Cursor);
        Assert.Equal(names.Length, everything.Keys.Count);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Bulk_get_returns_every_key_with_null_for_missing(bool cache)
    {
        var kv = await NamespaceAsync(cache);
        await kv.PutAsync("a", "1", cancellationToken: Ct);
        await kv.PutAsync("b", "2", new KvPutOptions { Metadata = JsonDocument.Parse("""{"m":true}""").RootElement }, Ct);
        var many = await kv.GetManyAsync(["a", "b", "c", "a"], cancellationToken: Ct);
        Assert.Equal(3, many.Count);
        Assert.Equal("1", many["a"]!.Text);
        Assert.Equal("""{"m":true}""", many["b"]!.MetadataJson);
        Assert.Null(many["c"]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Conditional_puts_create_once_and_compare_and_swap(bool cache)
    {
        var kv = await NamespaceAsync(cache);
        long created = await kv.PutAsync("lock", "mine", new KvPutOptions { IfAbsent = true }, Ct);
        var taken = await Assert.ThrowsAsync<KvException>(() => kv.PutAsync("lock", "yours", new KvPutOptions { IfAbsent = true }, Ct));
        Assert.Equal((412, KvErrorCode.PreconditionFailed), (taken.StatusCode, taken.Code));
        Assert.Contains("already exists", taken.Message, StringComparison.Ordinal);
        Assert.Equal("mine", await kv.GetStringAsync("lock", cancellationToken: Ct));

        long swapped = await kv.PutAsync("lock", "next", new KvPutOptions { IfVersion = created }, Ct);
        var stale = await Assert.ThrowsAsync<KvException>(() => kv.PutAsync("lock", "late", new KvPutOptions { IfVersion = created }, Ct));
        Assert.Equal(412, stale.StatusCode);
        var entry = await kv.GetWithMetadataAsync("lock", cancellationToken: Ct);
        Assert.Equal(("next", swapped), (entry!.Text, entry.Version));
    }

    [Fact]
    public async Task A_strong_read_sees_a_write_made_elsewhere_at_once()
    {
        var kv = await NamespaceAsync(cache: true);
        await kv.PutAsync("k", "old", cancellationToken: Ct);
        Assert.Equal("old", await kv.GetStringAsync("k", new KvReadOptions { CacheTtl = TimeSpan.FromHours(1) }, Ct));
        // Written over REST by another client, then read strongly at once: no waiting for the feed.
        using var put = await server.Client.PutAsync($"{KiviServerFixture.Namespaces}/{kv.NamespaceId}/values/k", new StringContent("new"), Ct);
        Assert.True(put.IsSuccessStatusCode);
        Assert.Equal("new", await kv.GetStringAsync("k", KvReadOptions.StrongRead, Ct));
        var listed = await kv.ListAsync(new KvListOptions { Consistency = KvConsistency.Strong }, Ct);
        Assert.Equal(["k"], listed.Keys.Select(k => k.Name));
    }

    [Fact]
    public async Task A_watch_reports_changes_under_its_prefix_in_order()
    {
        var kv = await NamespaceAsync(cache: false);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(20));
        long start = await kv.PutAsync("before", "x", cancellationToken: Ct);
        var seen = new List<KvChange>();
        var watching = Task.Run(async () =>
        {
            await foreach (var change in kv.WatchAsync("w/", afterVersion: start, cts.Token))
            {
                seen.Add(change);
                if (seen.Count == 3) break;
            }
        }, Ct);
        long a = await kv.PutAsync("w/a", "1", cancellationToken: Ct);
        await kv.PutAsync("elsewhere", "2", cancellationToken: Ct);
        long b = await kv.PutAsync("w/b", "3", new KvPutOptions { ExpirationTtl = TimeSpan.FromMinutes(5) }, Ct);
        long d = await kv.DeleteAsync("w/a", Ct);
        await watching;
        Assert.Equal([(ChangeKind.Put, "w/a", a), (ChangeKind.Put, "w/b", b), (ChangeKind.Delete, "w/a", d)],
            seen.Select(c => (c.Kind, c.Key!, c.Version)));
        Assert.NotNull(seen[1].Expiration);
    }

    [Fact]
    public async Task A_watch_resumes_from_a_version_and_refuses_a_token_without_access()
    {
        var kv = await NamespaceAsync(cache: false);
        long v1 = await kv.PutAsync("k1", "1", cancellationToken: Ct);
        long v2 = await kv.PutAsync("k2", "2", cancellationToken: Ct);
        await foreach (var change in kv.WatchAsync(afterVersion: v1, cancellationToken: Ct))
        {
            Assert.Equal(("k2", v2), (change.Key, change.Version));
            Assert.Equal("2", Encoding.UTF8.GetString(change.Value!.Value.Span)); // small values travel inline
            break;
        }
        string other = await server.CreateNamespaceAsync();
        string token = await Server.TokenAsync(server, "read", other);
        await using var outsider = Server.Client(server, token);
        var refused = await Assert.ThrowsAsync<KvException>(async () =>
        {
            await foreach (var _ in outsider.GetNamespace(new KvNamespaceOptions { NamespaceId = kv.NamespaceId, Cache = false }).WatchAsync(cancellationToken: Ct)) { }
        });
        Assert.Equal((403, KvErrorCode.AuthenticationError), (refused.StatusCode, refused.Code));
    }

    [Fact]
    public async Task A_watch_is_also_server_sent_events_that_resume_from_last_event_id()
    {
        var kv = await NamespaceAsync(cache: false);
        long v1 = await kv.PutAsync("sse/a", "1", cancellationToken: Ct);
        long v2 = await kv.PutAsync("sse/b", "2", cancellationToken: Ct);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{KiviServerFixture.Namespaces}/{kv.NamespaceId}/changes?prefix=sse/");
        request.Headers.Accept.ParseAdd("text/event-stream");
        request.Headers.TryAddWithoutValidation("Last-Event-ID", v1.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct));
        var lines = new List<string>();
        while (await reader.ReadLineAsync(Ct) is { } line)
        {
            lines.Add(line);
            if (line.StartsWith("data: {\"type\":\"change\"", StringComparison.Ordinal)) break;
        }
        int data = lines.Count - 1;
        Assert.Equal(("id: " + v2, "event: change"), (lines[data - 2], lines[data - 1]));
        using var change = JsonDocument.Parse(lines[data]["data: ".Length..]);
        Assert.Equal(("sse/b", "put", v2), (change.RootElement.GetProperty("key").GetString(), change.RootElement.GetProperty("kind").GetString(), change.RootElement.GetProperty("version").GetInt64()));
    }

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();
        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
