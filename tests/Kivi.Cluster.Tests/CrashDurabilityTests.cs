using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Kivi.Cluster.Tests;

/// <summary>Acknowledged writes survive SIGKILL: the server is a child process killed in the middle of a write load.</summary>
public sealed class CrashDurabilityTests : IAsyncLifetime
{
    private const string Token = "crash-test-token";
    private const string Account = "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0";
    private const int Writers = 32;
    private readonly string _data = Directory.CreateTempSubdirectory("kivi-crash-").FullName;

    private sealed record Ack(string Value, string Metadata, long? ExpiresNoEarlierThan, long Version);

    [Fact]
    public async Task Every_acknowledged_write_survives_kill_9_mid_load()
    {
        var ct = TestContext.Current.CancellationToken;
        var acked = new ConcurrentDictionary<string, Ack>();
        var counters = new long[Writers];
        string ns;
        await using (var server = await ServerProcess.StartAsync(_data, "--admin-token", Token, "--account-id", Account))
        {
            using var http = Client(server.BaseAddress);
            ns = await CreateNamespaceAsync(http);
            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(() => WriteUntilFailureAsync(server.BaseAddress, ns, w, acked, counters, stop.Token), ct)).ToArray();
            // Kill once a good number of writes are acknowledged (bounded by a deadline), while all 32 are still writing.
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (acked.Count < 3000 && DateTime.UtcNow < deadline && writers.All(t => !t.IsCompleted)) await Task.Delay(20, ct);
            Assert.True(writers.All(t => !t.IsCompleted), "a writer stopped before the kill: " + string.Join("; ", writers.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException!.Message)));
            await server.KillAsync();
            await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(30), ct);
            await stop.CancelAsync();
        }
        Assert.True(acked.Count >= 100, $"only {acked.Count} writes were acknowledged before the kill");

        await using (var restarted = await ServerProcess.StartAsync(_data, "--admin-token", Token, "--account-id", Account))
        {
            using var http = Client(restarted.BaseAddress);
            string values = $"/client/v4/accounts/{Account}/storage/kv/namespaces/{ns}/values/";
            foreach (var (key, ack) in acked)
            {
                using var response = await http.GetAsync(values + Uri.EscapeDataString(key), ct);
                Assert.True(response.IsSuccessStatusCode, $"acknowledged write {key} (version {ack.Version}) is missing after kill -9");
                Assert.Equal(ack.Value, await response.Content.ReadAsStringAsync(ct));
                Assert.Equal(ack.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), response.Headers.GetValues("Kivi-Version").Single());
                if (ack.ExpiresNoEarlierThan is { } expires)
                    Assert.True(long.Parse(response.Headers.GetValues("expiration").Single(), System.Globalization.CultureInfo.InvariantCulture) >= expires, key);
                using var meta = await http.GetAsync($"/client/v4/accounts/{Account}/storage/kv/namespaces/{ns}/metadata/{Uri.EscapeDataString(key)}", ct);
                Assert.Equal(ack.Metadata, JsonDocument.Parse(await meta.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("result").GetRawText());
            }
            // The per-writer counters hold the last acknowledged sequence or a later (unacknowledged but committed) one.
            for (int w = 0; w < Writers; w++)
            {
                if (Volatile.Read(ref counters[w]) == 0) continue;
                long stored = long.Parse(await http.GetStringAsync(values + $"counter-{w}", ct), System.Globalization.CultureInfo.InvariantCulture);
                Assert.True(stored >= counters[w], $"counter-{w} went back from {counters[w]} to {stored}");
            }
            // A new write after the restart gets a version above everything acknowledged before the crash.
            using var after = await http.PutAsync(values + "after-restart", new StringContent("x"), ct);
            long newVersion = long.Parse(after.Headers.GetValues("Kivi-Version").Single(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(newVersion > acked.Values.Max(a => a.Version));
        }

        using var db = new SqliteConnection($"Data Source={Path.Combine(_data, "kivi.db")};Pooling=False");
        db.Open();
        using var check = db.CreateCommand();
        check.CommandText = "PRAGMA integrity_check;";
        Assert.Equal("ok", check.ExecuteScalar());
    }

    private static async Task WriteUntilFailureAsync(Uri server, string ns, int writer, ConcurrentDictionary<string, Ack> acked, long[] counters, CancellationToken stop)
    {
        using var http = Client(server);
        string values = $"/client/v4/accounts/{Account}/storage/kv/namespaces/{ns}/values/";
        for (long seq = 1; !stop.IsCancellationRequested; seq++)
        {
            string key = $"w{writer:D2}/{seq:D6}";
            string value = $"{key}:" + new string((char)('a' + writer % 26), (int)(seq * 37 % 3000));
            string metadata = $"{{\"writer\":{writer},\"seq\":{seq}}}";
            bool expires = seq % 3 == 0;
            long before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            try
            {
                using var form = new MultipartFormDataContent { { new StringContent(value), "value" }, { new StringContent(metadata), "metadata" } };
                using var response = await http.PutAsync(values + Uri.EscapeDataString(key) + (expires ? "?expiration_ttl=3600" : ""), form, CancellationToken.None);
                if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"PUT {key} answered {(int)response.StatusCode}");
                long version = long.Parse(response.Headers.GetValues("Kivi-Version").Single(), System.Globalization.CultureInfo.InvariantCulture);
                acked[key] = new Ack(value, metadata, expires ? before + 3600 : null, version);
                using var counter = await http.PutAsync(values + $"counter-{writer}", new StringContent(seq.ToString(System.Globalization.CultureInfo.InvariantCulture)), CancellationToken.None);
                if (counter.IsSuccessStatusCode) Volatile.Write(ref counters[writer], seq);
            }
            catch (HttpRequestException)
            {
                return; // the server is gone
            }
        }
    }

    private static HttpClient Client(Uri server)
    {
        var http = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return http;
    }

    private static async Task<string> CreateNamespaceAsync(HttpClient http)
    {
        using var response = await http.PostAsync($"/client/v4/accounts/{Account}/storage/kv/namespaces", new StringContent("{\"title\":\"crash\"}", Encoding.UTF8, "application/json"));
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("result").GetProperty("id").GetString()!;
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync()
    {
        Directory.Delete(_data, recursive: true);
        return ValueTask.CompletedTask;
    }
}
