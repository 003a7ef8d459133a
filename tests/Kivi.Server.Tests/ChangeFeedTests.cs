using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Kivi.Server.Tests;

/// <summary>The origin's change feed against a real server process: order, inline values, push, heartbeats, reset, scopes.</summary>
public sealed class ChangeFeedTests : IAsyncLifetime
{
    private const string Token = "feed-root";
    private const string Account = "f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0";
    private readonly string _data = Directory.CreateTempSubdirectory("kivi-feed-").FullName;
    private ServerProcess _server = null!;
    private HttpClient _root = null!;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        // A tiny retention and a fast maintenance loop, so that trimming (and so a reset) can be observed.
        _server = await ServerProcess.StartAsync(_data, "--admin-token", Token, "--account-id", Account, "--change-retention", "20", "--sweep-interval", "00:00:00.2");
        _root = Client(Token);
    }

    private HttpClient Client(string token)
    {
        var client = new HttpClient { BaseAddress = _server.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private async Task<string> NamespaceAsync(string account = Account)
    {
        using var r = await _root.PostAsync($"/client/v4/accounts/{account}/storage/kv/namespaces", KiviServerFixture.Json(new { title = "feed-" + Guid.NewGuid().ToString("N") }), Ct);
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("result").GetProperty("id").GetString()!;
    }

    private async Task<long> PutAsync(string ns, string key, string value, string account = Account, string query = "")
    {
        using var r = await _root.PutAsync($"/client/v4/accounts/{account}/storage/kv/namespaces/{ns}/values/{Uri.EscapeDataString(key)}{query}", new StringContent(value), Ct);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        return long.Parse(r.Headers.GetValues("Kivi-Version").Single(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>An open feed; each line is read with a deadline, so a missing event fails instead of hanging.</summary>
    private sealed class Feed(HttpResponseMessage response, StreamReader reader) : IDisposable
    {
        public async Task<JsonElement> NextAsync(Func<JsonElement, bool>? match = null)
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            deadline.CancelAfter(TimeSpan.FromSeconds(20));
            while (true)
            {
                string? line = await reader.ReadLineAsync(deadline.Token) ?? throw new InvalidOperationException("the feed ended");
                var e = JsonDocument.Parse(line).RootElement.Clone();
                if (match is null || match(e)) return e;
            }
        }

        /// <summary>Reads until the server ends the feed, failing if it has not within <paramref name="within"/>.</summary>
        public async Task EndsWithinAsync(TimeSpan within)
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            deadline.CancelAfter(within);
            try
            {
                while (await reader.ReadLineAsync(deadline.Token) is not null) { }
            }
            catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"the feed was still open after {within.TotalSeconds} s");
            }
        }

        public void Dispose()
        {
            reader.Dispose();
            response.Dispose();
        }
    }

    private async Task<Feed> OpenAsync(HttpClient client, string query)
    {
        var response = await client.GetAsync($"/client/v4/kivi/changes?{query}", HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType!.MediaType);
        return new Feed(response, new StreamReader(await response.Content.ReadAsStreamAsync(Ct), Encoding.UTF8));
    }

    private static bool IsChange(JsonElement e) => e.GetProperty("type").GetString() == "change";

    [Fact]
    public async Task The_feed_streams_changes_in_version_order_with_current_values_inline()
    {
        string ns = await NamespaceAsync();
        long start = await PutAsync(ns, "warmup", "x");
        long v1 = await PutAsync(ns, "a", "first", query: "?expiration_ttl=600");
        long v2 = await PutAsync(ns, "b", "old");
        long v3 = await PutAsync(ns, "b", "new");
        using (var del = await _root.DeleteAsync($"/client/v4/accounts/{Account}/storage/kv/namespaces/{ns}/values/a", Ct)) Assert.True(del.IsSuccessStatusCode);
        using var feed = await OpenAsync(_root, $"after={start}");
        var heartbeat = await feed.NextAsync();
        Assert.Equal("heartbeat", heartbeat.GetProperty("type").GetString());
        Assert.True(heartbeat.GetProperty("head").GetInt64() >= v3 + 1);

        var a = await feed.NextAsync(IsChange);
        Assert.Equal((v1, "a", "put"), (a.GetProperty("version").GetInt64(), a.GetProperty("key").GetString(), a.GetProperty("kind").GetString()));
        Assert.True(a.GetProperty("expiration").GetInt64() > DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Assert.False(a.TryGetProperty("value", out _)); // deleted since: nothing stale travels
        var bOld = await feed.NextAsync(IsChange);
        Assert.Equal(v2, bOld.GetProperty("version").GetInt64());
        Assert.False(bOld.TryGetProperty("value", out _)); // overwritten since
        var bNew = await feed.NextAsync(IsChange);
        Assert.Equal(v3, bNew.GetProperty("version").GetInt64());
        Assert.Equal("new", Encoding.UTF8.GetString(bNew.GetProperty("value").GetBytesFromBase64()));
        var delete = await feed.NextAsync(IsChange);
        Assert.Equal(("a", "delete", v3 + 1), (delete.GetProperty("key").GetString(), delete.GetProperty("kind").GetString(), delete.GetProperty("version").GetInt64()));
        Assert.Equal(ns, delete.GetProperty("namespace").GetString());

        // A second reader of the same changes gets the same lines: what the first read from the store is shared with it.
        using var again = await OpenAsync(_root, $"after={start}");
        Assert.False((await again.NextAsync(IsChange)).TryGetProperty("value", out _));
        Assert.False((await again.NextAsync(IsChange)).TryGetProperty("value", out _));
        Assert.Equal("new", Encoding.UTF8.GetString((await again.NextAsync(IsChange)).GetProperty("value").GetBytesFromBase64()));
    }

    [Fact]
    public async Task A_change_is_pushed_to_a_connected_reader_and_idle_feeds_send_heartbeats()
    {
        string ns = await NamespaceAsync();
        using var feed = await OpenAsync(_root, "heartbeat_ms=200");
        long head = (await feed.NextAsync()).GetProperty("head").GetInt64();
        var second = await feed.NextAsync();
        Assert.Equal("heartbeat", second.GetProperty("type").GetString()); // idle: a heartbeat, not silence
        long version = await PutAsync(ns, "pushed", "now");
        var change = await feed.NextAsync(IsChange);
        Assert.Equal(version, change.GetProperty("version").GetInt64());
        Assert.True(version > head);
        Assert.Equal("now", Encoding.UTF8.GetString(change.GetProperty("value").GetBytesFromBase64()));
        using (var drop = await _root.DeleteAsync($"/client/v4/accounts/{Account}/storage/kv/namespaces/{ns}", Ct)) Assert.True(drop.IsSuccessStatusCode);
        var dropped = await feed.NextAsync(IsChange);
        Assert.Equal("namespace_dropped", dropped.GetProperty("kind").GetString());
        Assert.Equal(ns, dropped.GetProperty("namespace").GetString());
    }

    [Fact]
    public async Task A_reader_holding_an_answer_from_an_epoch_the_store_never_had_is_told_to_reset()
    {
        string ns = await NamespaceAsync();
        long v = await PutAsync(ns, "a", "x");
        string store;
        long epoch;
        using (var probe = await OpenAsync(_root, $"after={v}"))
        {
            var first = await probe.NextAsync();
            store = first.GetProperty("store").GetString()!;
            epoch = first.GetProperty("history").EnumerateArray().Last()[0].GetInt64();
        }
        string resume = $"after={v}&store={store}&epoch={epoch}&held={v}";

        using (var kept = await OpenAsync(_root, $"{resume}&held_epoch={epoch}"))
            Assert.Equal("heartbeat", (await kept.NextAsync()).GetProperty("type").GetString());
        // The same position, but an answer held from a history this store does not have (a copy restored since).
        using (var lost = await OpenAsync(_root, $"{resume}&held_epoch={epoch ^ 1}"))
            Assert.Equal("reset", (await lost.NextAsync()).GetProperty("type").GetString());

        using var half = await _root.GetAsync($"/client/v4/kivi/changes?{resume}", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, half.StatusCode);
        Assert.Contains("held and held_epoch go together", await half.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reader_behind_the_retained_log_is_told_to_reset_then_follows_from_the_head()
    {
        string ns = await NamespaceAsync();
        for (int i = 0; i < 60; i++) await PutAsync(ns, $"k{i}", "v");
        // Retention is 20 changes and maintenance runs every 200 ms: wait, with a deadline, for the trim.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        JsonElement first;
        while (true)
        {
            using var probe = await OpenAsync(_root, "after=0");
            first = await probe.NextAsync();
            if (first.GetProperty("type").GetString() == "reset" || DateTime.UtcNow > deadline) break;
            await Task.Delay(100, Ct);
        }
        Assert.Equal("reset", first.GetProperty("type").GetString());
        Assert.True(first.GetProperty("head").GetInt64() > 20);
        using var feed = await OpenAsync(_root, "after=0");
        long head = (await feed.NextAsync()).GetProperty("head").GetInt64();
        long version = await PutAsync(ns, "after-reset", "v");
        var change = await feed.NextAsync(IsChange);
        Assert.Equal(version, change.GetProperty("version").GetInt64());
        Assert.True(change.GetProperty("version").GetInt64() > head);
    }

    [Fact]
    public async Task Only_replication_and_admin_tokens_read_the_feed_and_only_their_accounts_changes()
    {
        using var created = await _root.PostAsync("/client/v4/accounts", KiviServerFixture.Json(new { name = "other" }), Ct);
        string other = JsonDocument.Parse(await created.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("result").GetProperty("id").GetString()!;
        string mine = await NamespaceAsync(), theirs = await NamespaceAsync(other);
        async Task<string> Issue(string account, string permission)
        {
            using var r = await _root.PostAsync($"/client/v4/accounts/{account}/tokens", KiviServerFixture.Json(new { name = permission, permission }), Ct);
            return JsonDocument.Parse(await r.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("result").GetProperty("value").GetString()!;
        }
        foreach (var refused in new[] { await Issue(Account, "read"), await Issue(Account, "write") })
        {
            using var client = Client(refused);
            using var response = await client.GetAsync("/client/v4/kivi/changes", HttpCompletionOption.ResponseHeadersRead, Ct);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }
        using var replica = Client(await Issue(Account, "replication"));
        using var feed = await OpenAsync(replica, "");
        await feed.NextAsync();
        await PutAsync(theirs, "secret", "not yours", account: other);
        long v = await PutAsync(mine, "public", "yours");
        var change = await feed.NextAsync(IsChange);
        Assert.Equal(v, change.GetProperty("version").GetInt64()); // the other account's change was skipped
        Assert.Equal(Account, change.GetProperty("account").GetString());
        // A replication token reads its account's values (edges fill their caches with it) but writes nothing.
        using var values = await replica.GetAsync($"/client/v4/accounts/{Account}/storage/kv/namespaces/{mine}/values/public", Ct);
        Assert.Equal(HttpStatusCode.OK, values.StatusCode);
        using var write = await replica.PutAsync($"/client/v4/accounts/{Account}/storage/kv/namespaces/{mine}/values/public", new StringContent("mine now"), Ct);
        Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
        using var foreign = await replica.GetAsync($"/client/v4/accounts/{other}/storage/kv/namespaces/{theirs}/values/secret", Ct);
        Assert.Equal(HttpStatusCode.Forbidden, foreign.StatusCode);
    }

    [Fact]
    public async Task A_token_scoped_to_one_namespace_reads_only_that_namespaces_changes_and_lookups()
    {
        string mine = await NamespaceAsync(), other = await NamespaceAsync();
        async Task<string> Issue(string permission)
        {
            using var r = await _root.PostAsync($"/client/v4/accounts/{Account}/tokens", KiviServerFixture.Json(new { name = "scoped-" + permission, permission, namespaces = new[] { mine } }), Ct);
            return JsonDocument.Parse(await r.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("result").GetProperty("value").GetString()!;
        }
        foreach (var permission in new[] { "replication", "admin" })
        {
            using var scoped = Client(await Issue(permission));
            using var feed = await OpenAsync(scoped, "heartbeat_ms=200");
            await feed.NextAsync();
            long hidden = await PutAsync(other, "secret", "not yours");
            long shown = await PutAsync(mine, "public", "yours");
            var change = await feed.NextAsync(IsChange);
            Assert.Equal((shown, mine), (change.GetProperty("version").GetInt64(), change.GetProperty("namespace").GetString()));
            Assert.True(shown > hidden);
            using (var drop = await _root.DeleteAsync($"/client/v4/accounts/{Account}/storage/kv/namespaces/{await NamespaceAsync()}", Ct)) Assert.True(drop.IsSuccessStatusCode);
            long last = await PutAsync(mine, "last", "yours");
            Assert.Equal(last, (await feed.NextAsync(IsChange)).GetProperty("version").GetInt64()); // not the drop of a namespace it does not list

            // The replication lookup of a namespace: its own, yes; another of the account is as unknown as a missing one.
            using (var found = await scoped.GetAsync($"/client/v4/kivi/namespaces/{mine}", Ct)) Assert.Equal(HttpStatusCode.OK, found.StatusCode);
            using var hiddenNs = await scoped.GetAsync($"/client/v4/kivi/namespaces/{other}", Ct);
            Assert.Equal(HttpStatusCode.NotFound, hiddenNs.StatusCode);
            Assert.DoesNotContain(other, await hiddenNs.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Revoking_or_rolling_a_token_ends_the_feeds_and_watches_it_opened_within_seconds()
    {
        string ns = await NamespaceAsync();
        async Task<(string Id, string Value)> Issue(string permission)
        {
            using var r = await _root.PostAsync($"/client/v4/accounts/{Account}/tokens", KiviServerFixture.Json(new { name = "stream-" + permission, permission }), Ct);
            var result = JsonDocument.Parse(await r.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("result");
            return (result.GetProperty("id").GetString()!, result.GetProperty("value").GetString()!);
        }
        var replication = await Issue("replication");
        var reader = await Issue("read");
        using var replica = Client(replication.Value);
        using var watcher = Client(reader.Value);
        using var feed = await OpenAsync(replica, "heartbeat_ms=60000");
        await feed.NextAsync();
        var watchResponse = await watcher.GetAsync($"/client/v4/accounts/{Account}/storage/kv/namespaces/{ns}/changes?heartbeat_ms=60000", HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal(HttpStatusCode.OK, watchResponse.StatusCode);
        using var watch = new Feed(watchResponse, new StreamReader(await watchResponse.Content.ReadAsStreamAsync(Ct), Encoding.UTF8));
        await watch.NextAsync();

        using (var revoke = await _root.DeleteAsync($"/client/v4/accounts/{Account}/tokens/{replication.Id}", Ct)) Assert.True(revoke.IsSuccessStatusCode);
        using (var roll = await _root.PutAsync($"/client/v4/accounts/{Account}/tokens/{reader.Id}/value", null, Ct)) Assert.True(roll.IsSuccessStatusCode);
        // Heartbeats are a minute apart: only the revocation can end these streams within the deadline.
        await feed.EndsWithinAsync(TimeSpan.FromSeconds(10));
        await watch.EndsWithinAsync(TimeSpan.FromSeconds(10));
        using var again = await replica.GetAsync("/client/v4/kivi/changes", HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, again.StatusCode);
    }

    public async ValueTask DisposeAsync()
    {
        _root.Dispose();
        await _server.DisposeAsync();
        Directory.Delete(_data, recursive: true);
    }
}
