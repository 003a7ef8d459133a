using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Kivi.Server.Tests;

/// <summary>Every REST endpoint against a real Kestrel server, as Cloudflare's clients call them.</summary>
public sealed class RestApiTests(KiviServerFixture server) : IClassFixture<KiviServerFixture>
{
    private HttpClient Client => server.Client;
    private static string Ns(string id) => $"{KiviServerFixture.Namespaces}/{id}";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<Api> Send(HttpMethod method, string path, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        using var response = await Client.SendAsync(request, Ct);
        return await Api.ReadAsync(response);
    }

    [Fact]
    public async Task A_namespace_created_with_a_jurisdiction_reports_it_and_never_changes_it()
    {
        var ct = TestContext.Current.CancellationToken;
        using var created = await server.Client.PostAsync(KiviServerFixture.Namespaces, KiviServerFixture.Json(new { title = "eu-" + Guid.NewGuid().ToString("N"), jurisdiction = "eu" }), ct);
        var ns = (await Api.ReadAsync(created)).Result;
        Assert.Equal("eu", ns.GetProperty("jurisdiction").GetString());
        string id = ns.GetProperty("id").GetString()!;
        using (var get = await server.Client.GetAsync($"{KiviServerFixture.Namespaces}/{id}", ct))
            Assert.Equal("eu", (await Api.ReadAsync(get)).Result.GetProperty("jurisdiction").GetString());
        using (var listed = await server.Client.GetAsync($"{KiviServerFixture.Namespaces}?per_page=1000", ct))
            Assert.Equal("eu", (await Api.ReadAsync(listed)).Result.EnumerateArray().Single(n => n.GetProperty("id").GetString() == id).GetProperty("jurisdiction").GetString());
        using (var move = await server.Client.PutAsync($"{KiviServerFixture.Namespaces}/{id}", KiviServerFixture.Json(new { title = "moved-" + Guid.NewGuid().ToString("N"), jurisdiction = "us" }), ct))
        {
            var refused = await Api.ReadAsync(move);
            Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
            Assert.Contains("cannot be changed", refused.ErrorMessage, StringComparison.Ordinal);
        }
        using (var mars = await server.Client.PostAsync(KiviServerFixture.Namespaces, KiviServerFixture.Json(new { title = "mars-" + Guid.NewGuid().ToString("N"), jurisdiction = "mars" }), ct))
            Assert.Equal(HttpStatusCode.BadRequest, mars.StatusCode);
        using var plain = await server.Client.PostAsync(KiviServerFixture.Namespaces, KiviServerFixture.Json(new { title = "plain-" + Guid.NewGuid().ToString("N") }), ct);
        Assert.False((await Api.ReadAsync(plain)).Result.TryGetProperty("jurisdiction", out _));
    }

    [Fact]
    public async Task A_request_without_a_token_is_401_and_with_a_wrong_token_403()
    {
        using var anonymous = server.NewClient(null);
        using var missing = await anonymous.GetAsync("/client/v4/accounts", Ct);
        var a = await Api.ReadAsync(missing);
        Assert.Equal(HttpStatusCode.Unauthorized, a.Status);
        Assert.Equal((10000, "Authentication error"), (a.ErrorCode!.Value, a.ErrorMessage));

        using var wrong = server.NewClient("not-the-token");
        using var refused = await wrong.GetAsync(KiviServerFixture.Namespaces, Ct);
        var b = await Api.ReadAsync(refused);
        Assert.Equal(HttpStatusCode.Forbidden, b.Status);
        Assert.Equal(10000, b.ErrorCode);

        using var basic = server.NewClient(null);
        basic.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", "dXNlcjpwYXNz");
        Assert.Equal(HttpStatusCode.Unauthorized, (await basic.GetAsync("/client/v4/accounts", Ct)).StatusCode);
    }

    [Fact]
    public async Task Accounts_and_memberships_name_the_account_so_clients_need_no_configuration()
    {
        var accounts = await Send(HttpMethod.Get, "/client/v4/accounts");
        Assert.Equal(KiviServerFixture.AccountId, accounts.Result[0].GetProperty("id").GetString());
        var memberships = await Send(HttpMethod.Get, "/client/v4/memberships");
        Assert.Equal(KiviServerFixture.AccountId, memberships.Result[0].GetProperty("account").GetProperty("id").GetString());
        Assert.Equal(0, (await Send(HttpMethod.Get, "/client/v4/accounts?page=2")).Result.GetArrayLength());
        Assert.Equal(0, (await Send(HttpMethod.Get, "/client/v4/memberships?page=2&per_page=20")).Result.GetArrayLength());
        var verify = await Send(HttpMethod.Get, "/client/v4/user/tokens/verify");
        Assert.Equal("active", verify.Result.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Namespaces_are_created_fetched_renamed_and_deleted()
    {
        string title = "crud-" + Guid.NewGuid().ToString("N");
        var created = await Send(HttpMethod.Post, KiviServerFixture.Namespaces, KiviServerFixture.Json(new { title }));
        string id = created.Result.GetProperty("id").GetString()!;
        Assert.Matches("^[0-9a-f]{32}$", id);
        Assert.True(created.Result.GetProperty("supports_url_encoding").GetBoolean());

        var duplicate = await Send(HttpMethod.Post, KiviServerFixture.Namespaces, KiviServerFixture.Json(new { title }));
        Assert.Equal((HttpStatusCode.BadRequest, 10014), (duplicate.Status, duplicate.ErrorCode!.Value));
        Assert.Equal("create namespace: 'A namespace with this account ID and title already exists'", duplicate.ErrorMessage);

        Assert.Equal(title, (await Send(HttpMethod.Get, Ns(id))).Result.GetProperty("title").GetString());
        var renamed = await Send(HttpMethod.Put, Ns(id), KiviServerFixture.Json(new { title = title + "-new" }));
        Assert.Equal(title + "-new", renamed.Result.GetProperty("title").GetString());
        Assert.True((await Send(HttpMethod.Delete, Ns(id))).Success);
        var gone = await Send(HttpMethod.Get, Ns(id));
        Assert.Equal((HttpStatusCode.NotFound, 10013), (gone.Status, gone.ErrorCode!.Value));
        var renameGone = await Send(HttpMethod.Put, Ns(id), KiviServerFixture.Json(new { title = "x" }));
        Assert.Equal(10013, renameGone.ErrorCode);
    }

    [Fact]
    public async Task Namespace_pages_follow_page_and_per_page_and_a_page_past_the_end_is_empty()
    {
        string run = Guid.NewGuid().ToString("N")[..8];
        for (int i = 0; i < 5; i++) await server.CreateNamespaceAsync($"page-{run}-{i}");
        var all = new List<string>();
        for (int page = 1; ; page++)
        {
            var body = await Send(HttpMethod.Get, $"{KiviServerFixture.Namespaces}?per_page=2&page={page}&order=title&direction=asc");
            Assert.Equal(page, body.ResultInfo.GetProperty("page").GetInt32());
            if (body.Result.GetArrayLength() == 0) break;
            all.AddRange(body.Result.EnumerateArray().Select(n => n.GetProperty("title").GetString()!));
            Assert.True(page < 1000);
        }
        var mine = all.Where(t => t.Contains(run, StringComparison.Ordinal)).ToList();
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"page-{run}-{i}"), mine);
        Assert.Equal(all.Order(StringComparer.Ordinal), all);
        var desc = await Send(HttpMethod.Get, $"{KiviServerFixture.Namespaces}?per_page=1000&order=title&direction=desc");
        var titles = desc.Result.EnumerateArray().Select(n => n.GetProperty("title").GetString()!).ToList();
        Assert.Equal(titles.OrderDescending(StringComparer.Ordinal), titles);
    }

    [Fact]
    public async Task A_value_round_trips_as_raw_bytes_with_its_expiration_and_version()
    {
        string ns = await server.CreateNamespaceAsync();
        var bytes = new byte[] { 0, 1, 2, 255, 254, 10, 13 };
        using var put = await Client.PutAsync($"{Ns(ns)}/values/bin?expiration_ttl=300", new ByteArrayContent(bytes), Ct);
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        string? version = put.Headers.GetValues("Kivi-Version").Single();
        using var get = await Client.GetAsync($"{Ns(ns)}/values/bin", Ct);
        Assert.Equal(bytes, await get.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal("application/octet-stream", get.Content.Headers.ContentType!.MediaType);
        long expiration = long.Parse(get.Headers.GetValues("expiration").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expiration - DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 290, 301);
        Assert.Equal($"\"{version}\"", get.Headers.ETag!.Tag);
        Assert.Equal(version, get.Headers.GetValues("Kivi-Version").Single());
    }

    [Fact]
    public async Task Keys_are_decoded_once_from_the_raw_target_so_percent_2F_is_a_slash()
    {
        string ns = await server.CreateNamespaceAsync();
        await Client.PutAsync($"{Ns(ns)}/values/hello%2Fworld%20key", new StringContent("slash"), Ct);
        await Client.PutAsync($"{Ns(ns)}/values/hello%252Fworld", new StringContent("double"), Ct);
        await Client.PutAsync($"{Ns(ns)}/values/caf%C3%A9%3F%23", new StringContent("accent"), Ct);
        var keys = await Send(HttpMethod.Get, $"{Ns(ns)}/keys");
        var names = keys.Result.EnumerateArray().Select(k => k.GetProperty("name").GetString()).ToList();
        Assert.Equal(["café?#", "hello%2Fworld", "hello/world key"], names);
        Assert.Equal("slash", await Client.GetStringAsync($"{Ns(ns)}/values/hello%2Fworld%20key", Ct));
        Assert.Equal("double", await Client.GetStringAsync($"{Ns(ns)}/values/hello%252Fworld", Ct));
    }

    [Fact]
    public async Task A_multipart_put_stores_value_and_metadata_which_the_metadata_route_returns()
    {
        string ns = await server.CreateNamespaceAsync();
        using var form = new MultipartFormDataContent { { new StringContent("form value"), "value" }, { new StringContent("{\"role\": \"admin\", \"n\": [1,2]}"), "metadata" } };
        using var put = await Client.PutAsync($"{Ns(ns)}/values/user%3A1?expiration_ttl=120", form, Ct);
        Assert.True((await Api.ReadAsync(put)).Success);
        Assert.Equal("form value", await Client.GetStringAsync($"{Ns(ns)}/values/user%3A1", Ct));
        var metadata = await Send(HttpMethod.Get, $"{Ns(ns)}/metadata/user%3A1");
        Assert.Equal("{\"role\":\"admin\",\"n\":[1,2]}", metadata.Result.GetRawText());
        await Client.PutAsync($"{Ns(ns)}/values/plain", new StringContent("p"), Ct);
        Assert.Equal(JsonValueKind.Null, (await Send(HttpMethod.Get, $"{Ns(ns)}/metadata/plain")).Result.ValueKind);
        var missing = await Send(HttpMethod.Get, $"{Ns(ns)}/metadata/none");
        Assert.Equal((HttpStatusCode.NotFound, 10009), (missing.Status, missing.ErrorCode!.Value));
    }

    [Fact]
    public async Task Get_of_a_missing_key_is_404_code_10009_and_delete_of_one_succeeds()
    {
        string ns = await server.CreateNamespaceAsync();
        var missing = await Send(HttpMethod.Get, $"{Ns(ns)}/values/absent");
        Assert.Equal((HttpStatusCode.NotFound, 10009, "get: 'key not found'"), (missing.Status, missing.ErrorCode!.Value, missing.ErrorMessage));
        Assert.True((await Send(HttpMethod.Delete, $"{Ns(ns)}/values/absent")).Success);
        await Client.PutAsync($"{Ns(ns)}/values/present", new StringContent("v"), Ct);
        Assert.True((await Send(HttpMethod.Delete, $"{Ns(ns)}/values/present")).Success);
        Assert.Equal(HttpStatusCode.NotFound, (await Send(HttpMethod.Get, $"{Ns(ns)}/values/present")).Status);
    }

    [Fact]
    public async Task Keys_list_pages_with_a_cursor_that_is_empty_on_the_last_page()
    {
        string ns = await server.CreateNamespaceAsync();
        var items = Enumerable.Range(0, 25).Select(i => new { key = $"p/{i:D2}", value = "v", metadata = new { i } }).ToList();
        Assert.True((await Send(HttpMethod.Put, $"{Ns(ns)}/bulk", KiviServerFixture.Json(items))).Success);
        await Client.PutAsync($"{Ns(ns)}/values/other", new StringContent("v"), Ct);
        var seen = new List<string>();
        string cursor = "";
        int pages = 0;
        do
        {
            var page = await Send(HttpMethod.Get, $"{Ns(ns)}/keys?prefix=p%2F&limit=10&cursor={Uri.EscapeDataString(cursor)}");
            seen.AddRange(page.Result.EnumerateArray().Select(k => k.GetProperty("name").GetString()!));
            Assert.Equal(page.Result.GetArrayLength(), page.ResultInfo.GetProperty("count").GetInt32());
            cursor = page.ResultInfo.GetProperty("cursor").GetString()!;
            pages++;
        } while (cursor != "");
        Assert.Equal(3, pages);
        Assert.Equal(items.Select(i => i.key), seen);
        var first = await Send(HttpMethod.Get, $"{Ns(ns)}/keys?prefix=p%2F&limit=10");
        Assert.Equal(0, first.Result[0].GetProperty("metadata").GetProperty("i").GetInt32());
    }

    [Fact]
    public async Task Bulk_put_get_and_both_forms_of_bulk_delete_work()
    {
        string ns = await server.CreateNamespaceAsync();
        var put = await Send(HttpMethod.Put, $"{Ns(ns)}/bulk", KiviServerFixture.Json(new object[]
        {
            new { key = "t", value = "text" },
            new { key = "j", value = "{\"a\":1}", metadata = new { m = 1 }, expiration_ttl = 600 },
            new { key = "b", value = Convert.ToBase64String("decoded"u8.ToArray()), base64 = true },
        }));
        Assert.Equal(3, put.Result.GetProperty("successful_key_count").GetInt32());
        Assert.Equal(0, put.Result.GetProperty("unsuccessful_keys").GetArrayLength());
        Assert.Equal("decoded", await Client.GetStringAsync($"{Ns(ns)}/values/b", Ct));

        var text = await Send(HttpMethod.Post, $"{Ns(ns)}/bulk/get", KiviServerFixture.Json(new { keys = new[] { "t", "j", "missing" } }));
        var values = text.Result.GetProperty("values");
        Assert.Equal("text", values.GetProperty("t").GetString());
        Assert.Equal("{\"a\":1}", values.GetProperty("j").GetString());
        Assert.Equal(JsonValueKind.Null, values.GetProperty("missing").ValueKind);

        var json = await Send(HttpMethod.Post, $"{Ns(ns)}/bulk/get", KiviServerFixture.Json(new { keys = new[] { "j" }, type = "json", withMetadata = true }));
        var j = json.Result.GetProperty("values").GetProperty("j");
        Assert.Equal(1, j.GetProperty("value").GetProperty("a").GetInt32());
        Assert.Equal(1, j.GetProperty("metadata").GetProperty("m").GetInt32());
        Assert.True(j.GetProperty("expiration").GetInt64() > DateTimeOffset.UtcNow.ToUnixTimeSeconds());

        var post = await Send(HttpMethod.Post, $"{Ns(ns)}/bulk/delete", KiviServerFixture.Json(new[] { "t" }));
        Assert.Equal(1, post.Result.GetProperty("successful_key_count").GetInt32());
        var delete = await Send(HttpMethod.Delete, $"{Ns(ns)}/bulk", KiviServerFixture.Json(new[] { "j", "b" }));
        Assert.True(delete.Success);
        Assert.Equal(0, (await Send(HttpMethod.Get, $"{Ns(ns)}/keys")).Result.GetArrayLength());
    }

    [Fact]
    public async Task Every_namespace_route_answers_10013_for_an_unknown_namespace()
    {
        string ns = Ns("ffffffffffffffffffffffffffffffff");
        (HttpMethod, string, HttpContent?)[] calls =
        [
            (HttpMethod.Get, ns, null), (HttpMethod.Delete, ns, null),
            (HttpMethod.Get, $"{ns}/values/k", null), (HttpMethod.Put, $"{ns}/values/k", new StringContent("v")), (HttpMethod.Delete, $"{ns}/values/k", null),
            (HttpMethod.Get, $"{ns}/metadata/k", null), (HttpMethod.Get, $"{ns}/keys", null),
            (HttpMethod.Put, $"{ns}/bulk", KiviServerFixture.Json(Array.Empty<object>())), (HttpMethod.Delete, $"{ns}/bulk", KiviServerFixture.Json(new[] { "k" })),
            (HttpMethod.Post, $"{ns}/bulk/delete", KiviServerFixture.Json(new[] { "k" })), (HttpMethod.Post, $"{ns}/bulk/get", KiviServerFixture.Json(new { keys = new[] { "k" } })),
        ];
        foreach (var (method, path, content) in calls)
        {
            var result = await Send(method, path, content);
            Assert.True(result.Status == HttpStatusCode.NotFound && result.ErrorCode == 10013, $"{method} {path}: {result.Raw}");
        }
    }

    [Fact]
    public async Task An_unknown_account_is_404_code_7003_and_an_unknown_route_is_an_enveloped_404()
    {
        var account = await Send(HttpMethod.Get, "/client/v4/accounts/00000000000000000000000000000000/storage/kv/namespaces");
        Assert.Equal((HttpStatusCode.NotFound, 7003), (account.Status, account.ErrorCode!.Value));
        var route = await Send(HttpMethod.Get, "/client/v4/zones");
        Assert.Equal((HttpStatusCode.NotFound, 7003), (route.Status, route.ErrorCode!.Value));
        var method = await Send(HttpMethod.Patch, KiviServerFixture.Namespaces);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, method.Status);
    }

    [Fact]
    public async Task A_large_value_streams_in_and_out_intact()
    {
        string ns = await server.CreateNamespaceAsync();
        var big = new byte[5 * 1024 * 1024 + 17];
        Random.Shared.NextBytes(big);
        using var put = await Client.PutAsync($"{Ns(ns)}/values/big", new StreamContent(new MemoryStream(big)), Ct);
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var read = await Client.GetByteArrayAsync($"{Ns(ns)}/values/big", Ct);
        Assert.True(big.AsSpan().SequenceEqual(read));
    }
}
