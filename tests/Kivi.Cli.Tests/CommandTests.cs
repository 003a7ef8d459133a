using System.Text;
using System.Text.Json;

namespace Kivi.Cli.Tests;

/// <summary>Every everyday command against a real server, with the exit codes scripts rely on.</summary>
public sealed class CommandTests(KiviServerFixture server) : IClassFixture<KiviServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static JsonElement Json(CliResult r) => JsonDocument.Parse(r.Stdout).RootElement;

    [Fact]
    public async Task Namespaces_are_created_listed_shown_renamed_and_deleted()
    {
        using var cli = new Cli(server);
        string title = "cli-ns-" + Guid.NewGuid().ToString("N")[..8];
        string id = (await cli.OkAsync("namespace", "create", title)).Out.Trim();
        Assert.Matches("^[0-9a-f]{32}$", id);
        var listed = Json(await cli.OkAsync("namespace", "list", "--json"));
        Assert.Contains(listed.EnumerateArray(), n => n.GetProperty("id").GetString() == id && n.GetProperty("title").GetString() == title);
        Assert.Contains($"{id}\t{title}", (await cli.OkAsync("namespace", "list")).Out);
        Assert.Equal(id, Json(await cli.OkAsync("namespace", "get", title, "--json")).GetProperty("id").GetString());

        var duplicate = await cli.ExpectAsync(ExitCodes.Conflict, "namespace", "create", title);
        Assert.Contains("already exists", duplicate.Stderr);
        Assert.Equal(title + "-2", Json(await cli.OkAsync("namespace", "rename", id, title + "-2", "--json")).GetProperty("title").GetString());
        await cli.OkAsync("namespace", "delete", title + "-2");
        var gone = await cli.ExpectAsync(ExitCodes.NotFound, "namespace", "get", id);
        Assert.Contains("namespace list", gone.Stderr); // says what to do
    }

    [Fact]
    public async Task Keys_are_written_from_an_argument_a_file_and_stdin_and_read_back_exactly()
    {
        using var cli = new Cli(server);
        string ns = await server.CreateNamespaceAsync();
        await cli.OkAsync("key", "put", ns, "arg", "from an argument", "--metadata", """{"owner":"ops"}""", "--ttl", "3600");
        var binary = Enumerable.Range(0, 70_000).Select(i => (byte)(i * 31)).ToArray();
        await File.WriteAllBytesAsync(cli.PathOf("value.bin"), binary, Ct);
        await cli.OkAsync("key", "put", ns, "file", "--path", "value.bin");
        var piped = await cli.RunAsync(["key", "put", ns, "stdin", "--expiration", DateTimeOffset.UtcNow.AddDays(1).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)], Encoding.UTF8.GetBytes("from stdin"), Ct);
        Assert.Equal(ExitCodes.Ok, piped.Code);

        Assert.Equal("from an argument", (await cli.OkAsync("key", "get", ns, "arg")).Out);
        Assert.Equal(binary, (await cli.OkAsync("key", "get", ns, "file")).Stdout);
        await cli.OkAsync("key", "get", ns, "file", "-o", "copy.bin");
        Assert.Equal(binary, await File.ReadAllBytesAsync(cli.PathOf("copy.bin"), Ct));
        var described = Json(await cli.OkAsync("key", "get", ns, "arg", "--json"));
        Assert.Equal("ops", described.GetProperty("metadata").GetProperty("owner").GetString());
        Assert.InRange(described.GetProperty("expiration").GetInt64() - DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 3500, 3600);
        Assert.True(described.GetProperty("version").GetInt64() > 0);
        Assert.True(Json(await cli.OkAsync("key", "get", ns, "file", "--json")).GetProperty("base64").GetBoolean());
        Assert.Equal("from stdin", (await cli.OkAsync("key", "get", ns, "stdin", "--strong")).Out);

        await cli.OkAsync("key", "delete", ns, "arg");
        var missing = await cli.ExpectAsync(ExitCodes.NotFound, "key", "get", ns, "arg");
        Assert.Contains("not found", missing.Stderr);
        Assert.Contains("exceeds key length limit of 512", (await cli.ExpectAsync(ExitCodes.BadInput, "key", "put", ns, new string('k', 513), "v")).Stderr);
        Assert.Contains("--metadata is not valid JSON", (await cli.ExpectAsync(ExitCodes.BadInput, "key", "put", ns, "k", "v", "--metadata", "{nope")).Stderr);
        Assert.Contains("No value", (await cli.ExpectAsync(ExitCodes.Usage, "key", "put", ns, "k")).Stderr);
    }

    [Fact]
    public async Task Key_list_walks_every_page_and_filters_by_prefix()
    {
        using var cli = new Cli(server);
        string ns = await server.CreateNamespaceAsync();
        var items = Enumerable.Range(0, 2_500).Select(i => new { key = $"p/{i:D5}", value = "v", metadata = new { i } })
            .Append(new { key = "other", value = "v", metadata = new { i = -1 } });
        await File.WriteAllTextAsync(cli.PathOf("items.json"), JsonSerializer.Serialize(items), Ct);
        await cli.OkAsync("bulk", "put", ns, "items.json");
        var listed = Json(await cli.OkAsync("key", "list", ns, "--prefix", "p/", "--json"));
        Assert.Equal(2_500, listed.GetArrayLength());
        Assert.Equal("p/02499", listed[2_499].GetProperty("name").GetString());
        Assert.Equal(7, listed[7].GetProperty("metadata").GetProperty("i").GetInt32());
        Assert.Equal(3, Json(await cli.OkAsync("key", "list", ns, "--limit", "3", "--json")).GetArrayLength());
        var table = (await cli.OkAsync("key", "list", ns, "--prefix", "oth")).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["KEY\tEXPIRES\tMETADATA", "other\t\t{\"i\":-1}"], table);
    }

    [Fact]
    public async Task Bulk_put_get_and_delete_take_wranglers_files_and_split_them_within_the_limits()
    {
        using var cli = new Cli(server);
        string ns = await server.CreateNamespaceAsync();
        // 25,000 entries: three bulk requests of at most 10,000.
        var items = Enumerable.Range(0, 25_000).Select(i => new Dictionary<string, object>
        {
            ["key"] = $"k{i:D5}",
            ["value"] = i % 2 == 0 ? $"text {i}" : Convert.ToBase64String(new byte[] { 0xff, (byte)i }),
            ["base64"] = i % 2 != 0,
        });
        await File.WriteAllTextAsync(cli.PathOf("put.json"), JsonSerializer.Serialize(items), Ct);
        Assert.Equal(25_000, Json(await cli.OkAsync("bulk", "put", ns, "put.json", "--json")).GetProperty("written").GetInt32());
        Assert.Equal(25_000, Json(await cli.OkAsync("key", "list", ns, "--json")).GetArrayLength());
        Assert.Equal(new byte[] { 0xff, 1 }, (await cli.OkAsync("key", "get", ns, "k00001")).Stdout);

        await File.WriteAllTextAsync(cli.PathOf("get.json"), """["k00000", {"name": "k00002"}, "missing"]""", Ct);
        var got = Json(await cli.OkAsync("bulk", "get", ns, "get.json"));
        Assert.Equal("text 0", got.GetProperty("k00000").GetString());
        Assert.Equal("text 2", got.GetProperty("k00002").GetString());
        Assert.Equal(JsonValueKind.Null, got.GetProperty("missing").ValueKind);
        // 150 keys: two bulk gets of at most 100.
        await File.WriteAllTextAsync(cli.PathOf("many.json"), JsonSerializer.Serialize(Enumerable.Range(0, 150).Select(i => $"k{i * 2:D5}")), Ct);
        Assert.Equal(150, Json(await cli.OkAsync("bulk", "get", ns, "many.json", "--metadata")).EnumerateObject().Count());

        await File.WriteAllTextAsync(cli.PathOf("delete.json"), JsonSerializer.Serialize(Enumerable.Range(0, 24_000).Select(i => $"k{i:D5}")), Ct);
        await cli.OkAsync("bulk", "delete", ns, "delete.json");
        Assert.Equal(1_000, Json(await cli.OkAsync("key", "list", ns, "--json")).GetArrayLength());
    }

    [Fact]
    public async Task A_bad_bulk_file_is_refused_with_the_item_at_fault_and_nothing_written()
    {
        using var cli = new Cli(server);
        string ns = await server.CreateNamespaceAsync();
        await File.WriteAllTextAsync(cli.PathOf("bad.json"), $$$"""
            [
              {"key": "good", "value": "1"},
              {"key": "{{{new string('k', 513)}}}", "value": "2"},
              {"key": "meta", "value": "3", "metadata": {"pad": "{{{new string('m', 1100)}}}"}},
              {"key": "typo", "value": "4", "expiration_tll": 600},
              {"key": "ttl", "value": "5", "expiration_ttl": 10}
            ]
            """, Ct);
        var refused = await cli.ExpectAsync(ExitCodes.BadInput, "bulk", "put", ns, "bad.json");
        Assert.Contains("bad.json:3: item 1", refused.Stderr);
        Assert.Contains("exceeds key length limit of 512", refused.Stderr);
        Assert.Contains("bad.json:4: item 2 (key \"meta\"): Metadata length of", refused.Stderr);
        Assert.Contains("item 3 (key \"typo\"): unknown field \"expiration_tll\"", refused.Stderr);
        Assert.Contains("item 4 (key \"ttl\"): Invalid expiration_ttl of 10", refused.Stderr);
        Assert.Contains("nothing was written", refused.Stderr);
        Assert.Equal(0, Json(await cli.OkAsync("key", "list", ns, "--json")).GetArrayLength());

        await File.WriteAllTextAsync(cli.PathOf("broken.json"), "[\n {\"key\": \"a\", \"value\": \"1\"},\n {\"key\": \"b\" \"value\": 2}\n]", Ct);
        var broken = await cli.ExpectAsync(ExitCodes.BadInput, "bulk", "put", ns, "broken.json");
        Assert.Contains("broken.json:3: invalid JSON", broken.Stderr);

        var partial = await cli.ExpectAsync(ExitCodes.Partial, "bulk", "put", ns, "bad.json", "--continue-on-error");
        Assert.Equal(4, partial.Stderr.Split('\n').Count(l => l.StartsWith("bad.json:", StringComparison.Ordinal)));
        var written = Json(await cli.OkAsync("key", "list", ns, "--json"));
        Assert.Equal("good", Assert.Single(written.EnumerateArray()).GetProperty("name").GetString());
    }

    [Fact]
    public async Task Connection_settings_come_from_flags_the_environment_profiles_or_the_local_data_folder()
    {
        using var cli = new Cli(server, token: null);
        Assert.Contains("No token", (await cli.ExpectAsync(ExitCodes.Denied, "namespace", "list")).Stderr);

        // A server on this machine: its data folder's admin token is found from the folder kivi runs in.
        Directory.CreateDirectory(cli.PathOf(".kivi"));
        await File.WriteAllTextAsync(cli.PathOf(".kivi/admin-token"), KiviServerFixture.Token + "\n", Ct);
        await cli.OkAsync("namespace", "list");
        Assert.Contains(".kivi/admin-token", (await cli.OkAsync("profile", "show")).Out);
        // ... but never sent anywhere else.
        var remote = Json(await cli.OkAsync("profile", "show", "--url", "http://kivi.example.com", "--json"));
        Assert.Equal("none", remote.GetProperty("token_source").GetString());
        File.Delete(cli.PathOf(".kivi/admin-token"));

        cli.Unset("KIVI_URL");
        await cli.OkAsync("profile", "set", "lab", "--url", server.BaseAddress.ToString(), "--token", KiviServerFixture.Token, "--account-id", KiviServerFixture.AccountId);
        var profiles = Json(await cli.OkAsync("profile", "list", "--json"));
        Assert.DoesNotContain(KiviServerFixture.Token, profiles.ToString()); // masked
        await cli.OkAsync("namespace", "list", "--profile", "lab");
        cli["KIVI_PROFILE"] = "lab";
        await cli.OkAsync("namespace", "list");
        Assert.Contains("no profile \"nope\"", (await cli.ExpectAsync(ExitCodes.Usage, "namespace", "list", "--profile", "nope")).Stderr);
        Assert.Contains("not accepted", (await cli.ExpectAsync(ExitCodes.Denied, "namespace", "list", "--token", "wrong-token")).Stderr);
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(cli.PathOf("config.json")));
    }

    [Fact]
    public async Task Failures_have_documented_exit_codes_and_say_what_to_do()
    {
        using var cli = new Cli(server);
        var usage = await cli.ExpectAsync(ExitCodes.Usage, "key", "get", "--no-such-option");
        Assert.Contains("--help", usage.Stderr);
        var unreachable = await cli.ExpectAsync(ExitCodes.Unreachable, "namespace", "list", "--url", "http://127.0.0.1:1");
        Assert.Contains("kivi serve", unreachable.Stderr);
        string readOnly = await IssueTokenAsync("read");
        Assert.Contains("may not do this", (await cli.ExpectAsync(ExitCodes.Denied, "namespace", "create", "x", "--token", readOnly)).Stderr);
        Assert.Contains("does not exist", (await cli.ExpectAsync(ExitCodes.BadInput, "bulk", "put", await server.CreateNamespaceAsync(), "absent.json")).Stderr);
    }

    private async Task<string> IssueTokenAsync(string permission)
    {
        using var response = await server.Client.PostAsync($"/client/v4/accounts/{KiviServerFixture.AccountId}/tokens",
            KiviServerFixture.Json(new { name = "cli-" + Guid.NewGuid().ToString("N")[..8], permission }), Ct);
        var body = await Api.ReadAsync(response);
        Assert.True(body.Success, body.Raw);
        return body.Result.GetProperty("value").GetString()!;
    }
}
