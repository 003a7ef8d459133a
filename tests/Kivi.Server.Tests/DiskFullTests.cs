using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Kivi.Server.Tests;

/// <summary>A node whose data folder is on a real, small filesystem (a tmpfs the test mounts) that fills up.</summary>
public sealed class DiskFullTests
{
    private const string Account = "d15cd15cd15cd15cd15cd15cd15cd15c";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static void Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        process.WaitForExit(30_000);
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)} failed: {process.StandardError.ReadToEnd()}");
    }

    [Fact]
    public async Task A_full_disk_refuses_writes_with_507_keeps_serving_reads_and_recovers_when_space_returns()
    {
        Assert.True(Environment.IsPrivilegedProcess, "This test mounts a small tmpfs and needs root (CI and the project's machines run as root).");
        string mount = Directory.CreateTempSubdirectory("kivi-full-").FullName;
        Run("mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", mount);
        try
        {
            string ballast = Path.Combine(mount, "ballast");
            await File.WriteAllBytesAsync(ballast, new byte[1_500_000], Ct); // the space an operator frees later
            string data = Path.Combine(mount, "data");
            var server = await ServerProcess.StartAsync(data, "--admin-token", "root", "--account-id", Account);
            try
            {
                using var client = new HttpClient { BaseAddress = server.BaseAddress };
                client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "root");
                string namespaces = $"/client/v4/accounts/{Account}/storage/kv/namespaces";
                using var created = await client.PostAsync(namespaces, KiviServerFixture.Json(new { title = "full" }), Ct);
                string ns = JsonDocument.Parse(await created.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("result").GetProperty("id").GetString()!;
                string Path(string key) => $"{namespaces}/{ns}/values/{key}";

                string value = new('x', 64 * 1024);
                var acknowledged = new List<string>();
                string? refusedKey = null, refusedBody = null;
                for (int i = 0; i < 400 && refusedKey is null; i++)
                {
                    using var put = await client.PutAsync(Path($"k{i}"), new StringContent(value), Ct);
                    string body = await put.Content.ReadAsStringAsync(Ct);
                    if (put.StatusCode == HttpStatusCode.OK) acknowledged.Add($"k{i}");
                    else if ((int)put.StatusCode == 507) (refusedKey, refusedBody) = ($"k{i}", body);
                    else Assert.Fail($"PUT k{i}: {(int)put.StatusCode} {body}");
                }
                Assert.NotNull(refusedKey);
                Assert.Contains("disk is full", refusedBody, StringComparison.Ordinal);
                Assert.Contains("\"code\":10507", refusedBody, StringComparison.Ordinal);
                Assert.NotEmpty(acknowledged);

                // Reads go on; the refused write left nothing.
                using (var read = await client.GetAsync(Path(acknowledged[0]), Ct)) Assert.Equal(HttpStatusCode.OK, read.StatusCode);
                using (var missing = await client.GetAsync(Path(refusedKey!), Ct)) Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

                File.Delete(ballast);
                await EdgeCluster.WaitUntilAsync(async () =>
                {
                    using var put = await client.PutAsync(Path("after"), new StringContent("space again"), Ct);
                    return put.StatusCode == HttpStatusCode.OK;
                }, TimeSpan.FromSeconds(20), "writes succeed once space is freed");
                acknowledged.Add("after");
                Assert.Equal(1, server.Output.Split('\n').Count(l => l.Contains("Requests are failing with 507", StringComparison.Ordinal)));
                Assert.DoesNotContain("Unhandled error", server.Output, StringComparison.Ordinal);

                // Nothing acknowledged is lost to a kill -9 after the episode.
                await server.KillAsync();
                await server.DisposeAsync();
                server = await ServerProcess.StartAsync(data, "--admin-token", "root", "--account-id", Account);
                using var again = new HttpClient { BaseAddress = server.BaseAddress };
                again.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "root");
                foreach (var key in acknowledged)
                    using (var read = await again.GetAsync(Path(key), Ct)) Assert.True(read.StatusCode == HttpStatusCode.OK, $"{key} was acknowledged and is gone");
            }
            finally
            {
                await server.DisposeAsync();
            }
        }
        finally
        {
            Run("umount", mount);
            Directory.Delete(mount, recursive: true);
        }
    }
}
