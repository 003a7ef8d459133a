using System.Net;
using System.Net.Sockets;
using Kivi.Server;
using Microsoft.AspNetCore.Builder;

namespace Kivi.Client.Tests;

/// <summary>The SDK's in-process cache over a server that comes back from an older copy of its data.</summary>
public sealed class RestoredOriginTests
{
    private const string Token = "restored-admin", Account = "5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<WebApplication> StartAsync(string data, int port)
    {
        var app = await KiviServer.CreateAsync(["--urls", $"http://127.0.0.1:{port}", "--data", data, "--admin-token", Token, "--account-id", Account,
            "--Logging:LogLevel:Default=Warning"]);
        await app.StartAsync(Ct);
        return app;
    }

    private static async Task StopAsync(WebApplication app)
    {
        await app.StopAsync(Ct);
        await app.DisposeAsync();
    }

    [Fact]
    public async Task The_sdk_cache_drops_what_it_held_when_the_server_returns_from_an_older_copy()
    {
        string data = Directory.CreateTempSubdirectory("kivi-sdk-restore-").FullName, backup = Directory.CreateTempSubdirectory("kivi-sdk-backup-").FullName;
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        var app = await StartAsync(data, port);
        try
        {
            await using var client = new KiviClient(new KiviClientOptions { Url = new Uri($"http://127.0.0.1:{port}"), Token = Token, AccountId = Account });
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);
            using var created = await http.PostAsync($"/client/v4/accounts/{Account}/storage/kv/namespaces", KiviServerFixture.Json(new { title = "restored" }), Ct);
            string ns = (await Api.ReadAsync(created)).Result.GetProperty("id").GetString()!;
            var kv = (KiviNamespace)client.GetNamespace(ns);
            await kv.PutAsync("k", "before the backup", cancellationToken: Ct);
            await StopAsync(app);
            foreach (var file in Directory.GetFiles(data)) File.Copy(file, Path.Combine(backup, Path.GetFileName(file)));

            app = await StartAsync(data, port);
            await kv.PutAsync("k", "after the backup", cancellationToken: Ct);
            var oneHour = new KvReadOptions { CacheTtl = TimeSpan.FromHours(1) };
            Assert.Equal("after the backup", await kv.GetStringAsync("k", oneHour, Ct));
            await Server.EventuallyAsync(() => Task.FromResult(kv.Cache!.IsCurrent), "the SDK's feed is current", seconds: 20); // its reconnect backs off up to 5 s

            await StopAsync(app);
            foreach (var file in Directory.GetFiles(data)) File.Delete(file);
            foreach (var file in Directory.GetFiles(backup)) File.Copy(file, Path.Combine(data, Path.GetFileName(file)));
            app = await StartAsync(data, port);

            // With a one-hour cacheTtl, only the reset can take the lost value out of the SDK's memory.
            await Server.EventuallyAsync(async () => await kv.GetStringAsync("k", oneHour, Ct) == "before the backup", "the SDK serves the restored value", seconds: 20);
            Assert.True(kv.Cache!.Resets > 0);
        }
        finally
        {
            await StopAsync(app);
            Directory.Delete(data, recursive: true);
            Directory.Delete(backup, recursive: true);
        }
    }
}
