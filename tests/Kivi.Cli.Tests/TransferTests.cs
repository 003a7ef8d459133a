using System.Text;
using System.Text.Json;

namespace Kivi.Cli.Tests;

/// <summary>Export, import, their resumption, and snapshot/restore of a running server.</summary>
public sealed class TransferTests(KiviServerFixture server) : IClassFixture<KiviServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Fills a namespace through the REST bulk API: text and binary values, metadata, expirations.</summary>
    private async Task<string> FilledNamespaceAsync(int count)
    {
        string ns = await server.CreateNamespaceAsync();
        long expires = DateTimeOffset.UtcNow.AddDays(30).ToUnixTimeSeconds();
        for (int start = 0; start < count; start += 10_000)
        {
            var items = Enumerable.Range(start, Math.Min(10_000, count - start)).Select(i => new Dictionary<string, object>
            {
                ["key"] = $"key/{i:D6}" + (i % 97 == 0 ? "/ünï\"cödé" : ""),
                ["value"] = i % 5 == 0 ? Convert.ToBase64String([0xc3, 0x28, (byte)i, 0, 0xff]) : $"value {i} \"quoted\" \n line",
                ["base64"] = i % 5 == 0,
                ["metadata"] = new { n = i, tag = i % 3 == 0 ? "ä" : "a" },
            }.Concat(i % 2 == 0 ? [new("expiration", expires + i)] : Array.Empty<KeyValuePair<string, object>>()).ToDictionary());
            using var response = await server.Client.PutAsync($"{KiviServerFixture.Namespaces}/{ns}/bulk", KiviServerFixture.Json(items), Ct);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
        }
        return ns;
    }

    [Fact]
    public async Task Export_then_import_of_100000_keys_reproduces_the_namespace_byte_for_byte()
    {
        using var cli = new Cli(server);
        string source = await FilledNamespaceAsync(100_000);
        await cli.OkAsync("export", source, "-o", "a.ndjson");
        string copy = await server.CreateNamespaceAsync();
        var imported = JsonDocument.Parse((await cli.OkAsync("import", copy, "a.ndjson", "--json")).Stdout).RootElement;
        Assert.Equal(100_000, imported.GetProperty("written").GetInt64());
        await cli.OkAsync("export", copy, "-o", "b.ndjson");

        var a = await File.ReadAllBytesAsync(cli.PathOf("a.ndjson"), Ct);
        Assert.Equal(100_000, a.Count(b => b == '\n'));
        Assert.Equal(a, await File.ReadAllBytesAsync(cli.PathOf("b.ndjson"), Ct));
        // and what was exported is what the API serves: a binary value, a key with quotes and accents
        var line = JsonDocument.Parse(File.ReadLines(cli.PathOf("a.ndjson")).First(l => l.Contains("ünï", StringComparison.Ordinal))).RootElement;
        Assert.Equal("key/000000/ünï\"cödé", line.GetProperty("key").GetString());
        Assert.True(line.GetProperty("base64").GetBoolean());
        Assert.Equal(new byte[] { 0xc3, 0x28, 0, 0, 0xff }, (await cli.OkAsync("key", "get", copy, "key/000000/ünï\"cödé")).Stdout);
        Assert.False(File.Exists(cli.PathOf("a.ndjson.kivi-import")));
    }

    [Fact]
    public async Task A_bad_import_file_is_refused_with_its_line_numbers_and_nothing_written()
    {
        using var cli = new Cli(server);
        string ns = await server.CreateNamespaceAsync();
        await File.WriteAllTextAsync(cli.PathOf("bad.ndjson"), string.Join('\n',
            """{"key":"a","value":"1"}""",
            """{"key":"b","value":"2"}""",
            """{"key":"c","value":"3",""",
            """{"key":"d","value":"4","colour":"red"}""",
            """{"key":"e","value":"5","metadata":{"pad":"PAD"}}""".Replace("PAD", new string('x', 1100), StringComparison.Ordinal),
            """{"key":"f","value":"6"}""") + "\n", Ct);
        var refused = await cli.ExpectAsync(ExitCodes.BadInput, "import", ns, "bad.ndjson");
        Assert.Contains("bad.ndjson:3", refused.Stderr);
        Assert.Contains("bad.ndjson:4 (key \"d\"): unknown field \"colour\"", refused.Stderr);
        Assert.Contains("bad.ndjson:5 (key \"e\"): Metadata length of", refused.Stderr);
        Assert.Equal("[]", (await cli.OkAsync("key", "list", ns, "--json")).Out.Trim());

        var partial = await cli.ExpectAsync(ExitCodes.Partial, "import", ns, "bad.ndjson", "--continue-on-error");
        Assert.Contains("bad.ndjson:4", partial.Stderr);
        var keys = JsonDocument.Parse((await cli.OkAsync("key", "list", ns, "--json")).Stdout).RootElement.EnumerateArray().Select(k => k.GetProperty("name").GetString());
        Assert.Equal(["a", "b", "f"], keys);
    }

    [Fact]
    public async Task An_interrupted_import_resumes_after_the_lines_it_already_wrote()
    {
        using var cli = new Cli(server);
        string source = await FilledNamespaceAsync(30_000);
        await cli.OkAsync("export", source, "-o", "all.ndjson");
        string target = await server.CreateNamespaceAsync();
        string progress = cli.PathOf("all.ndjson.kivi-import");

        // Stopped as soon as the first request has been written.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var watcher = Task.Run(async () =>
        {
            while (!File.Exists(progress) && !stop.IsCancellationRequested) await Task.Delay(1, Ct);
            stop.Cancel();
        }, Ct);
        var interrupted = await cli.RunAsync(["import", target, "all.ndjson", "--concurrency", "1"], null, stop.Token);
        await watcher;
        Assert.Equal(ExitCodes.Interrupted, interrupted.Code);
        Assert.True(File.Exists(progress));

        var resumed = JsonDocument.Parse((await cli.OkAsync("import", target, "all.ndjson", "--resume", "--json")).Stdout).RootElement;
        Assert.InRange(resumed.GetProperty("written").GetInt64(), 1, 20_000); // at least the first 10,000 were not written again
        await cli.OkAsync("export", target, "-o", "copy.ndjson");
        Assert.Equal(await File.ReadAllBytesAsync(cli.PathOf("all.ndjson"), Ct), await File.ReadAllBytesAsync(cli.PathOf("copy.ndjson"), Ct));
        Assert.False(File.Exists(progress));
    }

    [Fact]
    public async Task An_export_cut_off_mid_line_resumes_from_its_last_complete_line()
    {
        using var cli = new Cli(server);
        string ns = await FilledNamespaceAsync(5_000);
        await cli.OkAsync("export", ns, "-o", "full.ndjson");
        var full = await File.ReadAllBytesAsync(cli.PathOf("full.ndjson"), Ct);
        await File.WriteAllBytesAsync(cli.PathOf("part.ndjson"), full[..(full.Length / 2)], Ct); // cut mid-line
        await cli.OkAsync("export", ns, "-o", "part.ndjson", "--resume");
        Assert.Equal(full, await File.ReadAllBytesAsync(cli.PathOf("part.ndjson"), Ct));
        Assert.Equal(ExitCodes.Usage, (await cli.RunAsync("export", ns, "--resume")).Code);
    }

    [Fact]
    public async Task A_snapshot_taken_online_restores_every_namespace_exactly()
    {
        using var cli = new Cli(server);
        string first = await FilledNamespaceAsync(3_000), second = await FilledNamespaceAsync(500);
        await cli.OkAsync("export", first, "-o", "first.ndjson");
        await cli.OkAsync("export", second, "-o", "second.ndjson");
        var taken = JsonDocument.Parse((await cli.OkAsync("snapshot", "store.snapshot", "--json")).Stdout).RootElement;
        Assert.True(taken.GetProperty("keys").GetInt64() >= 3_500);

        // After the snapshot: a key added, one changed, one deleted; a namespace renamed, another dropped.
        await cli.OkAsync("key", "put", first, "added later", "x");
        await cli.OkAsync("key", "put", first, "key/000001", "changed");
        await cli.OkAsync("key", "delete", first, "key/000002");
        await cli.OkAsync("namespace", "rename", first, "renamed-" + Guid.NewGuid().ToString("N")[..6]);
        await cli.OkAsync("namespace", "delete", second);

        var restored = JsonDocument.Parse((await cli.OkAsync("restore", "store.snapshot", "--json")).Stdout).RootElement;
        Assert.True(restored.GetProperty("deleted").GetInt64() >= 1);
        await cli.OkAsync("export", first, "-o", "first-after.ndjson");
        await cli.OkAsync("export", second, "-o", "second-after.ndjson"); // recreated under its old id
        Assert.Equal(await File.ReadAllBytesAsync(cli.PathOf("first.ndjson"), Ct), await File.ReadAllBytesAsync(cli.PathOf("first-after.ndjson"), Ct));
        Assert.Equal(await File.ReadAllBytesAsync(cli.PathOf("second.ndjson"), Ct), await File.ReadAllBytesAsync(cli.PathOf("second-after.ndjson"), Ct));
    }

    [Fact]
    public async Task A_cut_off_or_foreign_snapshot_is_refused_before_anything_changes()
    {
        using var cli = new Cli(server);
        string ns = await FilledNamespaceAsync(10);
        await cli.OkAsync("snapshot", "s.snapshot");
        var lines = await File.ReadAllLinesAsync(cli.PathOf("s.snapshot"), Ct);
        await File.WriteAllLinesAsync(cli.PathOf("cut.snapshot"), lines[..^1], Ct);
        await cli.OkAsync("key", "put", ns, "after", "x");
        Assert.Contains("no end line", (await cli.ExpectAsync(ExitCodes.BadInput, "restore", "cut.snapshot")).Stderr);
        await File.WriteAllTextAsync(cli.PathOf("other.ndjson"), """{"key":"a","value":"b"}""" + "\n", Ct);
        Assert.Contains("not a Kivi snapshot", (await cli.ExpectAsync(ExitCodes.BadInput, "restore", "other.ndjson")).Stderr);
        Assert.Equal("x", (await cli.OkAsync("key", "get", ns, "after")).Out);
        using var scoped = new Cli(server, await ReadTokenAsync());
        Assert.Equal(ExitCodes.Denied, (await scoped.RunAsync("snapshot", "s.snapshot")).Code); // only the admin token
    }

    private async Task<string> ReadTokenAsync()
    {
        using var response = await server.Client.PostAsync($"/client/v4/accounts/{KiviServerFixture.AccountId}/tokens",
            KiviServerFixture.Json(new { name = "snap-" + Guid.NewGuid().ToString("N")[..8], permission = "admin" }), Ct);
        return (await Api.ReadAsync(response)).Result.GetProperty("value").GetString()!;
    }
}
