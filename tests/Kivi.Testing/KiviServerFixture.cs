using Kivi.Server;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;

namespace Kivi.Testing;

/// <summary>A real Kivi node on a loopback port with a real SQLite file, shared by the tests of one class.</summary>
public sealed class KiviServerFixture : IAsyncLifetime
{
    public const string Token = "test-admin-token-0123456789";
    public const string AccountId = "a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0";
    private string _data = Directory.CreateTempSubdirectory("kivi-http-").FullName;
    private bool _ownsData = true;
    private WebApplication? _app;
    private string[] _extraArgs = [];

    /// <summary>A node started with settings of its own (<c>--min-expiration-ttl 10</c>, say), for a test to dispose.</summary>
    public static async Task<KiviServerFixture> StartAsync(params string[] extraArgs)
    {
        var fixture = new KiviServerFixture { _extraArgs = extraArgs };
        await fixture.InitializeAsync();
        return fixture;
    }

    /// <summary>
    /// Stops this node cleanly (as SIGTERM would) and starts another over the same data folder and settings; the new one
    /// is the test's to dispose, the folder stays this fixture's.
    /// </summary>
    public async Task<KiviServerFixture> RestartAsync()
    {
        await _app!.StopAsync();
        await _app.DisposeAsync();
        _app = null;
        var next = new KiviServerFixture { _extraArgs = _extraArgs, _ownsData = false };
        Directory.Delete(next._data);
        next._data = _data;
        await next.InitializeAsync();
        return next;
    }

    public HttpClient Client { get; private set; } = null!;
    public Uri BaseAddress { get; private set; } = null!;
    public string DataFolder => _data;

    /// <summary>The node's services, for a test that looks inside (a counter, the cache).</summary>
    public IServiceProvider Services => _app!.Services;

    public async ValueTask InitializeAsync()
    {
        _app = await KiviServer.CreateAsync(["--urls", "http://127.0.0.1:0", "--data", _data, "--admin-token", Token, "--account-id", AccountId, "--Logging:LogLevel:Default=Warning", .. _extraArgs]);
        await _app.StartAsync();
        BaseAddress = new Uri(_app.Urls.First());
        Client = NewClient(Token);
    }

    public HttpClient NewClient(string? token)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public static string Namespaces => $"/client/v4/accounts/{AccountId}/storage/kv/namespaces";

    public async Task<string> CreateNamespaceAsync(string? title = null)
    {
        using var response = await Client.PostAsync(Namespaces, Json(new { title = title ?? "ns-" + Guid.NewGuid().ToString("N") }));
        var body = await Api.ReadAsync(response);
        Assert.True(body.Success, body.Raw);
        return body.Result.GetProperty("id").GetString()!;
    }

    public static StringContent Json(object value) => new(JsonSerializer.Serialize(value), Encoding.UTF8, "application/json");

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        if (_ownsData) Directory.Delete(_data, recursive: true);
    }
}
