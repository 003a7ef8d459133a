using System.Text.Json;

namespace Kivi.Cli.Tests;

/// <summary>The CLI checks files by the limits of the server it talks to, read from it, not by Workers KV's.</summary>
public sealed class LimitsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_server_with_a_lower_minimum_ttl_gets_what_it_accepts_from_the_cli_and_refuses_the_rest_in_its_own_words()
    {
        await using var server = await KiviServerFixture.StartAsync("--min-expiration-ttl", "10");
        var limits = await Api.ReadAsync(await server.Client.GetAsync("/client/v4/kivi/limits", Ct));
        Assert.Equal(10, limits.Result.GetProperty("min_expiration_ttl_seconds").GetInt32());
        Assert.Equal(512, limits.Result.GetProperty("max_key_bytes").GetInt32());

        using var cli = new Cli(server);
        string ns = await server.CreateNamespaceAsync();
        await File.WriteAllTextAsync(cli.PathOf("short.json"), """[{"key": "soon", "value": "1", "expiration_ttl": 30}]""", Ct);
        await cli.OkAsync("bulk", "put", ns, "short.json"); // Workers KV's 60 s minimum would refuse it; this server does not
        var listed = JsonDocument.Parse((await cli.OkAsync("key", "list", ns, "--json")).Stdout).RootElement;
        Assert.Equal("soon", Assert.Single(listed.EnumerateArray()).GetProperty("name").GetString());

        await File.WriteAllTextAsync(cli.PathOf("shorter.json"), """[{"key": "sooner", "value": "1", "expiration_ttl": 5}]""", Ct);
        var refused = await cli.ExpectAsync(ExitCodes.BadInput, "bulk", "put", ns, "shorter.json");
        Assert.Contains("Expiration TTL must be at least 10", refused.Stderr); // the server's own text, with its limit
    }
}
