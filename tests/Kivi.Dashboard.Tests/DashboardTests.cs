using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Kivi.Dashboard.Tests;

/// <summary>The dashboard end to end in Chromium, against a real node with a real SQLite file.</summary>
public sealed partial class DashboardTests(Browser browser) : IClassFixture<Browser>, IAsyncLifetime
{
    private KiviServerFixture _node = null!;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _node = await KiviServerFixture.StartAsync();

    public async ValueTask DisposeAsync() => await _node.DisposeAsync();

    private string Url(string path) => new Uri(_node.BaseAddress, path).ToString();

    private async Task<IPage> SignedInAsync(string token, int width = 1280)
    {
        var page = await browser.PageAsync(width);
        await page.GotoAsync(Url("/"));
        await page.GetByLabel("Token").FillAsync(token);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        // Polls the address (WaitForURL waits for a navigation event, which a loaded machine can deliver before it listens).
        await Assertions.Expect(page).ToHaveURLAsync(Url("/dashboard"));
        Assert.DoesNotContain(token, page.Url, StringComparison.Ordinal); // never a token in a URL
        return page;
    }

    private async Task<string> TokenAsync(string name, string permission)
    {
        using var issued = await _node.Client.PostAsync($"/client/v4/accounts/{KiviServerFixture.AccountId}/tokens", KiviServerFixture.Json(new { name, permission }), Ct);
        return (await Api.ReadAsync(issued)).Result.GetProperty("value").GetString()!;
    }

    private static async Task ShootAsync(IPage page, string name)
    {
        foreach (int width in new[] { 1280, 400 })
        {
            await page.SetViewportSizeAsync(width, 900);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Browser.Screenshots, $"{name}-{width}.png"), FullPage = true });
        }
        await page.SetViewportSizeAsync(1280, 900);
    }

    [Fact]
    public async Task An_admin_signs_in_creates_a_namespace_adds_edits_and_deletes_a_key_with_a_session_cookie_that_scripts_cannot_read()
    {
        var page = await SignedInAsync(KiviServerFixture.Token);
        var cookie = Assert.Single(await page.Context.CookiesAsync(), c => c.Name == "kivi_session");
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);

        await page.GetByLabel("Title").FillAsync("flags");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Created namespace \"flags\"");
        await ShootAsync(page, "namespaces");
        await page.GetByRole(AriaRole.Link, new() { Name = "flags" }).ClickAsync();
        await Assertions.Expect(page.GetByText("This namespace has no keys.")).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = "Add a key" }).ClickAsync();
        await page.GetByLabel("Key", new() { Exact = true }).FillAsync("checkout/new-flow");
        await page.Locator("textarea#value").FillAsync("on");
        await page.GetByLabel("Metadata (JSON, at most 1,024 bytes)").FillAsync("{\"owner\":\"payments\",\"enabled\":true}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Saved \"checkout/new-flow\"");
        await ShootAsync(page, "entry");

        await page.Locator("textarea#value").FillAsync("off");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Saved");
        string ns = Regex.Match(page.Url, "/ns/([0-9a-f]{32})/").Groups[1].Value;
        using (var value = await _node.Client.GetAsync($"{KiviServerFixture.Namespaces}/{ns}/values/checkout%2Fnew-flow", Ct))
            Assert.Equal("off", await value.Content.ReadAsStringAsync(Ct));

        await page.GotoAsync(Url($"/dashboard/ns/{ns}?fields=owner,enabled")); // the metadata index: a feature-flag inventory
        await Assertions.Expect(page.Locator("#keys tbody tr").First).ToContainTextAsync("\"payments\"");
        await Assertions.Expect(page.Locator("#keys thead")).ToContainTextAsync("enabled");
        await ShootAsync(page, "keys-metadata");

        await page.GotoAsync(Url($"/dashboard/ns/{ns}/entry?key=checkout%2Fnew-flow"));
        page.Dialog += (_, dialog) => dialog.AcceptAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete this key" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Deleted \"checkout/new-flow\"");
        using (var gone = await _node.Client.GetAsync($"{KiviServerFixture.Namespaces}/{ns}/values/checkout%2Fnew-flow", Ct))
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/dashboard/signin"));
        await page.GotoAsync(Url($"/dashboard/ns/{ns}"));
        Assert.Contains("/dashboard/signin", page.Url, StringComparison.Ordinal); // the session is gone
    }

    [Fact]
    public async Task Adding_a_key_that_exists_asks_before_overwriting_and_an_edit_over_a_newer_version_is_refused()
    {
        string ns = await _node.CreateNamespaceAsync("overwrites");
        using (await _node.Client.PutAsync($"{KiviServerFixture.Namespaces}/{ns}/values/k", new StringContent("first"), Ct)) { }
        var page = await SignedInAsync(KiviServerFixture.Token);
        await page.GotoAsync(Url($"/dashboard/ns/{ns}/entry?new=true"));
        await page.GetByLabel("Key", new() { Exact = true }).FillAsync("k");
        await page.Locator("textarea#value").FillAsync("second");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Overwrite key?");
        using (var still = await _node.Client.GetAsync($"{KiviServerFixture.Namespaces}/{ns}/values/k", Ct)) Assert.Equal("first", await still.Content.ReadAsStringAsync(Ct));
        await page.GetByRole(AriaRole.Button, new() { Name = "Overwrite" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Saved \"k\"");

        // Someone else writes while the page is open: saving is refused, nothing is lost, the user is told.
        using (await _node.Client.PutAsync($"{KiviServerFixture.Namespaces}/{ns}/values/k", new StringContent("theirs"), Ct)) { }
        await page.Locator("textarea#value").FillAsync("mine");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("was changed by someone else");
        using var kept = await _node.Client.GetAsync($"{KiviServerFixture.Namespaces}/{ns}/values/k", Ct);
        Assert.Equal("theirs", await kept.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Keys_come_fifty_a_page_with_load_more_and_a_prefix_that_matches_nothing_says_so()
    {
        string ns = await _node.CreateNamespaceAsync("many");
        var items = Enumerable.Range(0, 60).Select(i => new { key = $"item/{i:D3}", value = $"v{i}" }).ToArray();
        using (var bulk = await _node.Client.PutAsync($"{KiviServerFixture.Namespaces}/{ns}/bulk", KiviServerFixture.Json(items), Ct)) Assert.True(bulk.IsSuccessStatusCode);
        var page = await SignedInAsync(KiviServerFixture.Token);
        await page.GotoAsync(Url($"/dashboard/ns/{ns}"));
        await Assertions.Expect(page.Locator("#keys tbody tr")).ToHaveCountAsync(50);
        await page.GetByRole(AriaRole.Link, new() { Name = "Load more" }).ClickAsync();
        await Assertions.Expect(page.Locator("#keys tbody tr")).ToHaveCountAsync(60);
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Load more" })).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#keys tbody tr").Last).ToContainTextAsync("item/059");

        await page.GetByLabel("Prefix").FillAsync("nothing/");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
        await Assertions.Expect(page.GetByText("No keys found matching prefix \"nothing/\".")).ToBeVisibleAsync();
        await ShootAsync(page, "keys-empty");
    }

    [Fact]
    public async Task A_hostile_key_value_and_metadata_are_shown_as_text_and_run_nothing()
    {
        string ns = await _node.CreateNamespaceAsync("hostile");
        const string Evil = "<script>window.pwned=1</script><img src=x onerror=\"window.pwned=2\">";
        using (var put = await _node.Client.PutAsync($"{KiviServerFixture.Namespaces}/{ns}/values/{Uri.EscapeDataString(Evil)}", new StringContent(Evil), Ct)) Assert.True(put.IsSuccessStatusCode);
        var page = await SignedInAsync(KiviServerFixture.Token);
        bool dialog = false;
        page.Dialog += (_, d) => { dialog = true; _ = d.DismissAsync(); };
        await page.GotoAsync(Url($"/dashboard/ns/{ns}"));
        await Assertions.Expect(page.Locator("#keys tbody tr").First).ToContainTextAsync("<script>window.pwned=1</script>");
        await page.GetByRole(AriaRole.Link, new() { Name = Evil }).ClickAsync();
        await Assertions.Expect(page.Locator("textarea#value")).ToHaveValueAsync(Evil);
        Assert.Equal("undefined", await page.EvaluateAsync<string>("() => typeof window.pwned"));
        Assert.False(dialog);
        var csp = (await page.GotoAsync(Url($"/dashboard/ns/{ns}")))!.Headers["content-security-policy"];
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_read_token_sees_no_write_controls_and_a_replayed_or_cross_site_form_post_is_refused()
    {
        string ns = await _node.CreateNamespaceAsync("read-only");
        using (await _node.Client.PutAsync($"{KiviServerFixture.Namespaces}/{ns}/values/k", new StringContent("v"), Ct)) { }
        var page = await SignedInAsync(await TokenAsync("viewer", "read"));
        await page.GotoAsync(Url($"/dashboard/ns/{ns}"));
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Add a key" })).ToHaveCountAsync(0);
        await page.GotoAsync(Url($"/dashboard/ns/{ns}/entry?key=k"));
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Save" })).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("pre").First).ToHaveTextAsync("v");
        await ShootAsync(page, "entry-read-only");

        // Replaying the admin's form (with this session's own anti-forgery token) still meets the server's rules.
        string form = await page.EvaluateAsync<string>("() => document.cookie"); // HttpOnly: the session is not in it
        Assert.DoesNotContain("kivi_session", form, StringComparison.Ordinal);
        var admin = await SignedInAsync(KiviServerFixture.Token);
        await page.GotoAsync(Url("/dashboard"));
        string antiforgery = await page.Locator("input[name=__kivi_form]").First.InputValueAsync(); // the reader's own, valid token
        var replay = await page.APIRequest.PostAsync(Url($"/dashboard/ns/{ns}/entry?handler=Save&key=k"), new APIRequestContextOptions
        {
            Form = page.APIRequest.CreateFormData().Set("__kivi_form", antiforgery).Set("key", "k").Set("value", "hacked").Set("isNew", "false"),
        });
        Assert.Equal(403, replay.Status);
        using (var value = await _node.Client.GetAsync($"{KiviServerFixture.Namespaces}/{ns}/values/k", Ct)) Assert.Equal("v", await value.Content.ReadAsStringAsync(Ct));

        // A form on another site posting with the admin's session: no anti-forgery token, and SameSite=Strict sends no cookie.
        var crossSite = await admin.APIRequest.PostAsync(Url($"/dashboard/ns/{ns}/entry?handler=Save&key=k"), new APIRequestContextOptions
        {
            Form = admin.APIRequest.CreateFormData().Set("key", "k").Set("value", "forged").Set("isNew", "false"),
            Headers = new Dictionary<string, string> { ["Origin"] = "https://evil.example" },
        });
        Assert.Equal(400, crossSite.Status);
        using var kept = await _node.Client.GetAsync($"{KiviServerFixture.Namespaces}/{ns}/values/k", Ct);
        Assert.Equal("v", await kept.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task History_says_who_changed_a_key_and_usage_charts_reflect_operations_just_made()
    {
        string ns = await _node.CreateNamespaceAsync("audited");
        string deployer = await TokenAsync("deployer", "write");
        using (var client = _node.NewClient(deployer))
        using (await client.PutAsync($"{KiviServerFixture.Namespaces}/{ns}/values/flag", new StringContent("on"), Ct)) { }
        for (int i = 0; i < 3; i++)
            using (await _node.Client.GetAsync($"{KiviServerFixture.Namespaces}/{ns}/values/flag", Ct)) { }

        var page = await SignedInAsync(KiviServerFixture.Token);
        await page.GotoAsync(Url($"/dashboard/ns/{ns}/entry?key=flag"));
        await page.GetByRole(AriaRole.Link, new() { Name = "History" }).ClickAsync();
        await Assertions.Expect(page.Locator("#history tbody tr").First).ToContainTextAsync("deployer");
        await Assertions.Expect(page.Locator("#history tbody tr").First).ToContainTextAsync("put");
        await ShootAsync(page, "history");

        await page.GotoAsync(Url($"/dashboard/usage?ns={ns}"));
        // 3 reads by the API, and the dashboard's own 2 (the entry page read the value and its metadata): billed like any other.
        await Assertions.Expect(page.Locator("#totals")).ToContainTextAsync("5 reads, 1 writes");
        await Assertions.Expect(page.Locator("figure svg")).ToHaveCountAsync(6);
        var keysNow = page.Locator("figure", new() { HasText = "Keys stored" }).Locator("rect title").Last; // this hour's bar: the one key
        Assert.EndsWith(": 1", await keysNow.TextContentAsync());
        await Assertions.Expect(page.Locator("#cost")).ToContainTextAsync("$0.00");
        await ShootAsync(page, "usage");
    }

    [Fact]
    public async Task An_admin_creates_a_token_sees_its_value_once_and_revokes_it()
    {
        var page = await SignedInAsync(KiviServerFixture.Token);
        await page.GetByRole(AriaRole.Link, new() { Name = "Tokens" }).ClickAsync();
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("ci-reader");
        await page.GetByLabel("Permission").SelectOptionAsync("read");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create" }).ClickAsync();
        string value = await page.Locator("#token-value").InnerTextAsync();
        using (var reader = _node.NewClient(value))
        using (var accounts = await reader.GetAsync("/client/v4/memberships", Ct)) Assert.True(accounts.IsSuccessStatusCode);
        await page.GotoAsync(Url("/dashboard/tokens"));
        await Assertions.Expect(page.Locator("#token-value")).ToHaveCountAsync(0); // shown once
        await ShootAsync(page, "tokens");
        page.Dialog += (_, d) => d.AcceptAsync();
        await page.Locator("#tokens tr", new() { HasText = "ci-reader" }).GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await Assertions.Expect(page.Locator("#tokens")).Not.ToContainTextAsync("ci-reader");
        using var revoked = _node.NewClient(value);
        using var refused = await revoked.GetAsync("/client/v4/memberships", Ct);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Fact]
    public async Task The_watch_shows_a_change_made_by_another_client_and_a_prefix_exports_as_a_download()
    {
        string ns = await _node.CreateNamespaceAsync("watched");
        var page = await SignedInAsync(KiviServerFixture.Token);
        await page.GotoAsync(Url($"/dashboard/ns/{ns}"));
        await page.GetByRole(AriaRole.Link, new() { Name = "Watch" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Watching");
        using (var put = await _node.Client.PutAsync($"{KiviServerFixture.Namespaces}/{ns}/values/flags%2Fbeta", new StringContent("on"), Ct)) Assert.True(put.IsSuccessStatusCode);
        await Assertions.Expect(page.Locator("#changes tbody tr").First).ToContainTextAsync("flags/beta");
        await Assertions.Expect(page.Locator("#changes tbody tr").First).ToContainTextAsync("put");
        await ShootAsync(page, "watch");

        using (await _node.Client.PutAsync($"{KiviServerFixture.Namespaces}/{ns}/values/other", new StringContent("x"), Ct)) { }
        await page.GotoAsync(Url($"/dashboard/ns/{ns}?prefix=flags%2F"));
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new() { Name = "Export" }).ClickAsync());
        string file = Path.Combine(Browser.Screenshots, "export.ndjson");
        await download.SaveAsAsync(file);
        var lines = await File.ReadAllLinesAsync(file, Ct);
        Assert.Single(lines);
        Assert.Contains("\"flags/beta\"", lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_binary_file_uploads_shows_as_hex_and_downloads_and_a_30_MB_upload_is_refused_in_the_servers_words()
    {
        string ns = await _node.CreateNamespaceAsync("files");
        var page = await SignedInAsync(KiviServerFixture.Token);
        byte[] binary = [0x00, 0xff, 0x10, 0x80, 0x7f, 0x01, 0xfe];
        await page.GotoAsync(Url($"/dashboard/ns/{ns}/entry?new=true"));
        await page.GetByLabel("Key", new() { Exact = true }).FillAsync("blob.bin");
        await page.GetByLabel("Or upload a file as the value (at most 25 MiB)").SetInputFilesAsync(new FilePayload { Name = "blob.bin", MimeType = "application/octet-stream", Buffer = binary });
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Saved \"blob.bin\"");
        await Assertions.Expect(page.Locator("#hex")).ToContainTextAsync("00ff10807f01fe");
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new() { Name = "Download it" }).ClickAsync());
        string saved = Path.Combine(Browser.Screenshots, "blob.bin");
        await download.SaveAsAsync(saved);
        Assert.Equal(binary, await File.ReadAllBytesAsync(saved, Ct));

        await page.GotoAsync(Url($"/dashboard/ns/{ns}/entry?new=true"));
        await page.GetByLabel("Key", new() { Exact = true }).FillAsync("too-big");
        await page.GetByLabel("Or upload a file as the value (at most 25 MiB)").SetInputFilesAsync(new FilePayload { Name = "big.bin", MimeType = "application/octet-stream", Buffer = new byte[30 * 1024 * 1024] });
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("exceeds limit of 26214400");
        using var missing = await _node.Client.GetAsync($"{KiviServerFixture.Namespaces}/{ns}/values/too-big", Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    private async Task<(string Value, string? Metadata, long? Expiration)> StoredAsync(string ns, string key)
    {
        using var value = await _node.Client.GetAsync($"{KiviServerFixture.Namespaces}/{ns}/values/{Uri.EscapeDataString(key)}", Ct);
        if (value.StatusCode == HttpStatusCode.NotFound) return ("<missing>", null, null);
        using var metadata = await _node.Client.GetAsync($"{KiviServerFixture.Namespaces}/{ns}/metadata/{Uri.EscapeDataString(key)}", Ct);
        long? expiration = value.Headers.TryGetValues("expiration", out var e) ? long.Parse(e.First(), System.Globalization.CultureInfo.InvariantCulture) : null;
        return (await value.Content.ReadAsStringAsync(Ct), (await Api.ReadAsync(metadata)).Result.ToString(), expiration);
    }

    [Fact]
    public async Task Json_mode_pretty_prints_refuses_invalid_json_and_an_expiration_date_is_kept_or_changed_as_typed()
    {
        string ns = await _node.CreateNamespaceAsync("json");
        long expiration = DateTimeOffset.UtcNow.AddHours(5).ToUnixTimeSeconds();
        using (var put = await _node.Client.PutAsync($"{KiviServerFixture.Namespaces}/{ns}/values/config?expiration={expiration}", new StringContent("{\"limit\":10,\"regions\":[\"eu\",\"us\"]}"), Ct))
            Assert.True(put.IsSuccessStatusCode);
        var page = await SignedInAsync(KiviServerFixture.Token);
        await page.GotoAsync(Url($"/dashboard/ns/{ns}/entry?key=config"));
        await page.GetByRole(AriaRole.Link, new() { Name = "JSON", Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator("textarea#value")).ToHaveValueAsync(new Regex("^\\{\\n  \"limit\": 10,"));
        await ShootAsync(page, "entry-json");

        await page.Locator("textarea#value").FillAsync("{\"limit\": 20,");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("not valid JSON (line 1");
        Assert.Equal("{\"limit\":10,\"regions\":[\"eu\",\"us\"]}", (await StoredAsync(ns, "config")).Value); // nothing sent

        await page.Locator("textarea#value").FillAsync("{\"limit\": 20}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Saved \"config\"");
        var saved = await StoredAsync(ns, "config");
        Assert.Equal(("{\"limit\": 20}", expiration), (saved.Value, saved.Expiration)); // the expiration shown was kept

        var at = DateTimeOffset.UtcNow.AddDays(2);
        at = new DateTimeOffset(at.Year, at.Month, at.Day, at.Hour, at.Minute, at.Second, TimeSpan.Zero);
        await page.Locator("#expiresAt").FillAsync(at.ToString("yyyy-MM-dd'T'HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture));
        await page.GetByLabel("Expire after (seconds, at least 60)").FillAsync("3600");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("not both");
        await page.GetByLabel("Expire after (seconds, at least 60)").FillAsync("");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Saved \"config\"");
        Assert.Equal(at.ToUnixTimeSeconds(), (await StoredAsync(ns, "config")).Expiration);

        await page.Locator("#expiresAt").FillAsync("");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Saved \"config\"");
        Assert.Null((await StoredAsync(ns, "config")).Expiration); // emptied: never expires
    }

    [Fact]
    public async Task A_key_is_renamed_with_its_metadata_never_over_an_existing_key_nor_over_a_change_made_meanwhile()
    {
        string ns = await _node.CreateNamespaceAsync("renames");
        using (await _node.Client.PutAsync($"{KiviServerFixture.Namespaces}/{ns}/values/old-name?expiration_ttl=7200", new MultipartFormDataContent
               { { new StringContent("payload"), "value" }, { new StringContent("{\"owner\":\"web\"}"), "metadata" } }, Ct)) { }
        long expiration = (await StoredAsync(ns, "old-name")).Expiration!.Value;
        using (await _node.Client.PutAsync($"{KiviServerFixture.Namespaces}/{ns}/values/taken", new StringContent("someone's"), Ct)) { }
        var page = await SignedInAsync(KiviServerFixture.Token);

        await page.GotoAsync(Url($"/dashboard/ns/{ns}/entry?key=old-name"));
        await page.GetByLabel("Rename to").FillAsync("taken");
        await page.GetByRole(AriaRole.Button, new() { Name = "Rename" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("a key named \"taken\" already exists");
        Assert.Equal("someone's", (await StoredAsync(ns, "taken")).Value);
        Assert.Equal("payload", (await StoredAsync(ns, "old-name")).Value);

        await page.GetByLabel("Rename to").FillAsync("new-name");
        await page.GetByRole(AriaRole.Button, new() { Name = "Rename" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Renamed \"old-name\" to \"new-name\"");
        Assert.Equal(("payload", "{\"owner\":\"web\"}", (long?)expiration), await StoredAsync(ns, "new-name"));
        Assert.Equal("<missing>", (await StoredAsync(ns, "old-name")).Value);

        // Someone writes the key while its page is open: the rename is refused and their value stays where it is.
        using (await _node.Client.PutAsync($"{KiviServerFixture.Namespaces}/{ns}/values/new-name", new StringContent("theirs"), Ct)) { }
        await page.GetByLabel("Rename to").FillAsync("newest-name");
        await page.GetByRole(AriaRole.Button, new() { Name = "Rename" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("was changed by someone else");
        Assert.Equal("theirs", (await StoredAsync(ns, "new-name")).Value);
        Assert.Equal("<missing>", (await StoredAsync(ns, "newest-name")).Value);

        // Deleting is conditional too: a change made since the page was opened is not deleted unseen.
        await page.ReloadAsync();
        using (await _node.Client.PutAsync($"{KiviServerFixture.Namespaces}/{ns}/values/new-name", new StringContent("theirs again"), Ct)) { }
        page.Dialog += (_, d) => d.AcceptAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete this key" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Not deleted");
        Assert.Equal("theirs again", (await StoredAsync(ns, "new-name")).Value);
    }

    [Fact]
    public async Task Every_key_under_a_prefix_is_deleted_only_after_the_prefix_is_typed_again()
    {
        string ns = await _node.CreateNamespaceAsync("sweep");
        var items = Enumerable.Range(0, 1200).Select(i => new { key = $"tmp/{i:D4}", value = "x" }).Append(new { key = "tmpfile", value = "kept" }).Append(new { key = "keep/1", value = "kept" });
        using (var bulk = await _node.Client.PutAsync($"{KiviServerFixture.Namespaces}/{ns}/bulk", KiviServerFixture.Json(items), Ct)) Assert.True(bulk.IsSuccessStatusCode);
        var page = await SignedInAsync(KiviServerFixture.Token);
        await page.GotoAsync(Url($"/dashboard/ns/{ns}?prefix=tmp%2F"));
        await page.GetByText("Delete every key under \"tmp/\"").ClickAsync();
        await page.GetByLabel("Type the prefix to confirm").FillAsync("tmp");
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete every key under this prefix" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Nothing was deleted");
        Assert.Equal("x", (await StoredAsync(ns, "tmp/0000")).Value);

        await page.GetByText("Delete every key under \"tmp/\"").ClickAsync();
        await page.GetByLabel("Type the prefix to confirm").FillAsync("tmp/");
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete every key under this prefix" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Deleted 1,200 keys under \"tmp/\"");
        await Assertions.Expect(page.GetByText("No keys found matching prefix \"tmp/\".")).ToBeVisibleAsync();
        using var left = await _node.Client.GetAsync($"{KiviServerFixture.Namespaces}/{ns}/keys", Ct);
        Assert.Equal(["keep/1", "tmpfile"], (await Api.ReadAsync(left)).Result.EnumerateArray().Select(k => k.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task A_wrangler_bulk_file_imports_in_batches_with_progress_and_a_bad_ndjson_line_stops_with_the_servers_words()
    {
        string ns = await _node.CreateNamespaceAsync("imported");
        var page = await SignedInAsync(KiviServerFixture.Token);
        var items = Enumerable.Range(0, 2500).Select(i => new Dictionary<string, object>
        {
            ["key"] = $"user/{i:D5}", ["value"] = $"profile {i}", ["metadata"] = new { plan = i % 2 == 0 ? "free" : "pro" }, ["expiration_ttl"] = 86400,
        }).ToList();
        await page.GotoAsync(Url($"/dashboard/ns/{ns}"));
        await page.GetByRole(AriaRole.Link, new() { Name = "Import" }).ClickAsync();
        await page.GetByLabel("File (.json or .ndjson)").SetInputFilesAsync(new FilePayload
        {
            Name = "bulk.json", MimeType = "application/json", Buffer = System.Text.Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(items)),
        });
        await page.GetByRole(AriaRole.Button, new() { Name = "Import" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Done: imported 2,500 keys.");
        Assert.Equal("2500", await page.Locator("#import-progress").GetAttributeAsync("value"));
        await ShootAsync(page, "import");
        var last = await StoredAsync(ns, "user/02499");
        Assert.Equal(("profile 2499", "{\"plan\":\"pro\"}"), (last.Value, last.Metadata));
        Assert.NotNull(last.Expiration);

        // NDJSON (as Export writes it), whose 1,201st line names a key over the 512-byte limit: the first batch is stored, the rest is not.
        var lines = Enumerable.Range(0, 1500).Select(i => System.Text.Json.JsonSerializer.Serialize(new { key = i == 1200 ? new string('k', 600) : $"line/{i:D4}", value = "v" }));
        await page.GetByLabel("File (.json or .ndjson)").SetInputFilesAsync(new FilePayload
        {
            Name = "export.ndjson", MimeType = "application/x-ndjson", Buffer = System.Text.Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n"),
        });
        await page.GetByRole(AriaRole.Button, new() { Name = "Import" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Stopped after 1,000 of 1,500 keys");
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("512");
        Assert.Equal("v", (await StoredAsync(ns, "line/0999")).Value);
        Assert.Equal("<missing>", (await StoredAsync(ns, "line/1000")).Value);
    }
}
