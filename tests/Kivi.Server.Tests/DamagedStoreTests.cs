using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;

namespace Kivi.Server.Tests;

/// <summary>A store whose file was damaged on disk: refused at start with a message and an exit code, never written into.</summary>
public sealed class DamagedStoreTests
{
    private const string Account = "dadadadadadadadadadadadadadadada";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A store of 400 keys, checkpointed into its main file, left by a kill -9 (its WAL removed with it).</summary>
    private static async Task<(string Data, string Namespace)> MakeStoreAsync()
    {
        string data = Directory.CreateTempSubdirectory("kivi-damaged-").FullName;
        await using var server = await ServerProcess.StartAsync(data, "--admin-token", "root", "--account-id", Account, "--checkpoint-pages", "1");
        using var client = Root(server.BaseAddress);
        using var created = await client.PostAsync($"/client/v4/accounts/{Account}/storage/kv/namespaces", KiviServerFixture.Json(new { title = "damaged" }), Ct);
        string ns = JsonDocument.Parse(await created.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("result").GetProperty("id").GetString()!;
        var items = Enumerable.Range(0, 400).Select(i => new { key = $"key-{i:D4}", value = new string((char)('a' + i % 26), 2000) }).ToArray();
        using var bulk = await client.PutAsync($"/client/v4/accounts/{Account}/storage/kv/namespaces/{ns}/bulk", KiviServerFixture.Json(items), Ct);
        Assert.True(bulk.IsSuccessStatusCode);
        await server.KillAsync();
        return (data, ns);
    }

    private static HttpClient Root(Uri address)
    {
        var client = new HttpClient { BaseAddress = address };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "root");
        return client;
    }

    /// <summary>Runs a node over <paramref name="data"/> until it exits (at most 60 s): its exit code and output.</summary>
    private static async Task<(int Code, string Output)> RunToExitAsync(string data)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "Kivi.Server.dll"), "--urls", "http://127.0.0.1:0", "--data", data, "--admin-token", "root", "--account-id", Account })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException("The node started on a damaged store instead of refusing it:\n" + await stdout);
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    private static byte[] Hash(string data) => SHA256.HashData(File.ReadAllBytes(Path.Combine(data, "kivi.db")));

    [Theory]
    [InlineData("garbage header")]
    [InlineData("truncated")]
    [InlineData("garbage in the middle")]
    public async Task A_damaged_store_is_refused_at_start_with_what_to_do_and_exit_code_3(string damage)
    {
        var (data, _) = await MakeStoreAsync();
        try
        {
            Damage(data, damage);
            byte[] before = Hash(data);
            var (code, output) = await RunToExitAsync(data);
            Assert.True(code == 3, $"exit {code}:\n{output}");
            Assert.Contains("is damaged", output, StringComparison.Ordinal);
            Assert.Contains("kivi restore", output, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", output, StringComparison.Ordinal); // a message, not a stack trace
            Assert.Equal(before, Hash(data));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task Damage_found_while_serving_refuses_every_later_write_and_leaves_the_file_alone()
    {
        var (data, ns) = await MakeStoreAsync();
        try
        {
            Damage(data, "garbage in the middle");
            byte[] before = Hash(data);
            await using var server = await ServerProcess.StartAsync(data, "--admin-token", "root", "--account-id", Account, "--integrity-check", "off");
            using var client = Root(server.BaseAddress);
            string keys = $"/client/v4/accounts/{Account}/storage/kv/namespaces/{ns}";
            using (var list = await client.GetAsync($"{keys}/keys", Ct))
            {
                string body = await list.Content.ReadAsStringAsync(Ct);
                Assert.Equal(HttpStatusCode.InternalServerError, list.StatusCode);
                Assert.Contains("is damaged", body, StringComparison.Ordinal);
            }
            using (var put = await client.PutAsync($"{keys}/values/new", new StringContent("must not land"), Ct))
            {
                string body = await put.Content.ReadAsStringAsync(Ct);
                Assert.Equal(HttpStatusCode.InternalServerError, put.StatusCode);
                Assert.Contains("writes are refused", body, StringComparison.Ordinal);
            }
            await server.KillAsync();
            Assert.Equal(before, Hash(data));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    private static void Damage(string data, string how)
    {
        string db = Path.Combine(data, "kivi.db");
        foreach (var sidecar in new[] { "-wal", "-shm" }) File.Delete(db + sidecar);
        using var file = new FileStream(db, FileMode.Open, FileAccess.ReadWrite);
        switch (how)
        {
            case "garbage header":
                file.Write(Enumerable.Repeat((byte)0xAB, 100).ToArray());
                break;
            case "truncated":
                file.SetLength(file.Length / 2);
                break;
            default:
                // Random bytes over every other page of the file's second half: rows of the entries table.
                var noise = new byte[4096];
                for (long page = file.Length / 4096 / 2; page < file.Length / 4096 - 1; page += 2)
                {
                    Random.Shared.NextBytes(noise);
                    file.Position = page * 4096;
                    file.Write(noise);
                }
                break;
        }
    }
}
