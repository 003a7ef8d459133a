using System.Net;
using FeatureFlags;
using Kivi.Client.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ThemeAndBanner;

namespace Kivi.Client.Tests;

public sealed class GreetingOptions
{
    public string? Text { get; set; }
    public int Repeat { get; set; }
}

/// <summary>The configuration provider (load, reload through the watch) and the two samples, on real servers.</summary>
public sealed class ConfigurationTests(KiviServerFixture server) : IClassFixture<KiviServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string[] KiviArgs(string ns) =>
    [
        "--urls", "http://127.0.0.1:0",
        "--Kivi:Url", server.BaseAddress.ToString(),
        "--Kivi:Token", KiviServerFixture.Token,
        "--Kivi:AccountId", KiviServerFixture.AccountId,
        "--Kivi:NamespaceId", ns,
        "--Logging:LogLevel:Default", "Warning",
    ];

    [Fact]
    public async Task Keys_under_the_prefix_become_configuration_and_reload_on_change()
    {
        string ns = await server.CreateNamespaceAsync();
        await using var client = Server.Client(server);
        var kv = client.GetNamespace(ns);
        await kv.PutAsync("app/Greeting/Text", "hello", cancellationToken: Ct);
        await kv.PutAsync("app/Greeting/Repeat", "2", cancellationToken: Ct);
        await kv.PutAsync("app/Logging/LogLevel/Default", "Warning", cancellationToken: Ct);
        await kv.PutAsync("other/Secret", "not mine", cancellationToken: Ct);

        var services = new ServiceCollection();
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Kivi:Url"] = server.BaseAddress.ToString(), ["Kivi:Token"] = KiviServerFixture.Token })
            .AddKivi(ns, "app/")
            .Build();
        services.Configure<GreetingOptions>(configuration.GetSection("Greeting"));
        await using var provider = services.BuildServiceProvider();
        var monitor = provider.GetRequiredService<IOptionsMonitor<GreetingOptions>>();
        try
        {
            Assert.Equal("Warning", configuration["Logging:LogLevel:Default"]);
            Assert.Null(configuration["Secret"]);
            Assert.Equal(("hello", 2), (monitor.CurrentValue.Text, monitor.CurrentValue.Repeat));

            await kv.PutAsync("app/Greeting/Text", "bonjour", cancellationToken: Ct);
            await Server.EventuallyAsync(() => Task.FromResult(monitor.CurrentValue.Text == "bonjour"), "IOptionsMonitor sees the new value");
            await kv.PutAsync("app/Added", "new", cancellationToken: Ct);
            await Server.EventuallyAsync(() => Task.FromResult(configuration["Added"] == "new"), "a new key appears");
            await kv.DeleteAsync("app/Logging/LogLevel/Default", Ct);
            await Server.EventuallyAsync(() => Task.FromResult(configuration["Logging:LogLevel:Default"] is null), "a deleted key disappears");
            await kv.PutAsync("other/Secret", "changed", cancellationToken: Ct);
            Assert.Null(configuration["Secret"]);
        }
        finally
        {
            ((IDisposable)configuration).Dispose();
        }
    }

    [Fact]
    public async Task A_server_that_cannot_be_read_fails_start_unless_optional()
    {
        var e = Assert.Throws<InvalidOperationException>(() => new ConfigurationBuilder()
            .AddKivi(new string('a', 32), "", s => s.Client = new KiviClientOptions { Url = new Uri("http://127.0.0.1:9/"), Token = "t", AccountId = KiviServerFixture.AccountId, MaxRetries = 0 })
            .Build());
        Assert.Contains("Kivi configuration could not be read from namespace", e.Message, StringComparison.Ordinal);
        using var optional = (IDisposable)new ConfigurationBuilder()
            .AddKivi(new string('a', 32), "", s =>
            {
                s.Client = new KiviClientOptions { Url = new Uri("http://127.0.0.1:9/"), Token = "t", AccountId = KiviServerFixture.AccountId, MaxRetries = 0 };
                s.Optional = true;
                s.ReloadOnChange = false;
            })
            .Build();
    }

    [Fact]
    public async Task The_feature_flag_sample_has_a_kill_switch()
    {
        string ns = await server.CreateNamespaceAsync();
        await using var client = Server.Client(server);
        var kv = client.GetNamespace(ns);
        await kv.PutAsync("flags/Checkout", "true", cancellationToken: Ct);
        await using var app = FeatureFlagsApp.Build(KiviArgs(ns));
        await app.StartAsync(Ct);
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        using (var open = await http.GetAsync("/checkout", Ct)) Assert.Equal(HttpStatusCode.OK, open.StatusCode);

        await kv.PutAsync("flags/Checkout", "false", cancellationToken: Ct); // the kill switch, from anywhere
        await Server.EventuallyAsync(async () =>
        {
            using var response = await http.GetAsync("/checkout", Ct);
            return response.StatusCode == HttpStatusCode.ServiceUnavailable;
        }, "checkout is switched off without a restart");
        Assert.Contains("\"Checkout\":false", await http.GetStringAsync("/flags", Ct), StringComparison.Ordinal);
        await app.StopAsync(Ct);
    }

    [Fact]
    public async Task The_theme_sample_keeps_a_theme_per_session_and_renders_the_banner()
    {
        string ns = await server.CreateNamespaceAsync();
        await using var client = Server.Client(server);
        var kv = client.GetNamespace(ns);
        await kv.PutAsync("banner", "Maintenance at 22:00 <UTC>", cancellationToken: Ct);
        await using var app = ThemeAndBannerApp.Build(KiviArgs(ns));
        await app.StartAsync(Ct);
        using var handler = new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = true };
        using var browser = new HttpClient(handler) { BaseAddress = new Uri(app.Urls.First()) };

        string first = await browser.GetStringAsync("/", Ct);
        Assert.Contains("data-theme=\"light\"", first, StringComparison.Ordinal);
        Assert.Contains("Maintenance at 22:00 &lt;UTC&gt;", first, StringComparison.Ordinal); // in the first paint, escaped
        using (var set = await browser.PostAsync("/theme", new FormUrlEncodedContent([new("theme", "dark")]), Ct))
            Assert.Contains("data-theme=\"dark\"", await set.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal); // read your own write
        Assert.Contains("data-theme=\"dark\"", await browser.GetStringAsync("/", Ct), StringComparison.Ordinal);

        // Stored for 90 days under the visitor's session; another visitor keeps the default.
        var themes = new List<KvKey>();
        await foreach (var key in kv.ListAllAsync("theme:", KvReadOptions.StrongRead, Ct)) themes.Add(key);
        var stored = Assert.Single(themes);
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Assert.InRange(stored.Expiration!.Value, now + 90 * 86400 - 5, now + 90 * 86400 + 5);
        using (var other = new HttpClient { BaseAddress = new Uri(app.Urls.First()) })
            Assert.Contains("data-theme=\"light\"", await other.GetStringAsync("/", Ct), StringComparison.Ordinal);

        await kv.PutAsync("banner", "All clear", cancellationToken: Ct);
        await Server.EventuallyAsync(async () => (await browser.GetStringAsync("/", Ct)).Contains("All clear", StringComparison.Ordinal), "a new banner shows on the next render");
        await app.StopAsync(Ct);
    }
}
