#pragma warning disable xUnit1051 // every wait in these multi-process tests has its own deadline
using System.Text;
using System.Text.Json;

namespace Kivi.Cluster.Tests;

/// <summary>HTTPS between nodes, on real processes, with a CA and certificates the test makes.</summary>
[Collection("edge cluster")]
public sealed class TlsTests
{
    private const string Admin = "tls-admin-token", Account = "7150715071507150715071507150aaaa";

    [Fact]
    public async Task An_edge_follows_an_HTTPS_origin_its_CA_signed_and_refuses_one_it_did_not()
    {
        string folder = Directory.CreateTempSubdirectory("kivi-tls-").FullName;
        try
        {
            var trusted = TestCertificates.Create(folder, "operator");
            var stranger = TestCertificates.Create(folder, "stranger");
            await using var origin = await ServerProcess.StartAsync(Path.Combine(folder, "origin"),
                "--urls", "https://127.0.0.1:0", "--tls-cert", trusted.CertPath, "--tls-key", trusted.KeyPath,
                "--admin-token", Admin, "--account-id", Account, "--role", "origin");
            Assert.Equal("https", origin.BaseAddress.Scheme);
            using var admin = trusted.Client(origin.BaseAddress, Admin);
            string ns, replication;
            using (var created = await admin.PostAsync($"/client/v4/accounts/{Account}/storage/kv/namespaces", Json(new { title = "tls" })))
                ns = Result(await created.Content.ReadAsStringAsync()).GetProperty("id").GetString()!;
            using (var issued = await admin.PostAsync($"/client/v4/accounts/{Account}/tokens", Json(new { name = "edges", permission = "replication" })))
                replication = Result(await issued.Content.ReadAsStringAsync()).GetProperty("value").GetString()!;
            string path = $"/client/v4/accounts/{Account}/storage/kv/namespaces/{ns}/values/greeting";

            await using var edge = await ServerProcess.StartAsync(Path.Combine(folder, "edge"), "--role", "edge", "--upstream", origin.BaseAddress.ToString(),
                "--upstream-token", replication, "--upstream-ca", trusted.CaPath);
            using var edgeClient = EdgeCluster.Client(edge.BaseAddress, Admin);
            Assert.Equal(404, (await EdgeCluster.GetAsync(edgeClient, path)).Status);
            using (var put = await admin.PutAsync(path, new StringContent("hello over TLS"))) Assert.True(put.IsSuccessStatusCode);
            await EdgeCluster.WaitUntilAsync(async () => (await EdgeCluster.GetAsync(edgeClient, path)).Value == "hello over TLS", TimeSpan.FromSeconds(30),
                "the write at the origin brought to the edge by its feed over HTTPS");
            using (var write = await edgeClient.PutAsync(path, new StringContent("through the edge"))) Assert.True(write.IsSuccessStatusCode); // forwarded over HTTPS
            using (var ready = await edgeClient.GetAsync("/readyz")) Assert.Equal(200, (int)ready.StatusCode);

            await using var fooled = await ServerProcess.StartAsync(Path.Combine(folder, "fooled"), "--role", "edge", "--upstream", origin.BaseAddress.ToString(),
                "--upstream-token", replication, "--upstream-ca", stranger.CaPath);
            using var fooledClient = EdgeCluster.Client(fooled.BaseAddress, Admin);
            var refused = await EdgeCluster.GetAsync(fooledClient, path);
            Assert.NotEqual(200, refused.Status); // it could not even check the client's token with the origin
            await EdgeCluster.WaitUntilAsync(() => Task.FromResult(fooled.Output.Contains("certificate", StringComparison.OrdinalIgnoreCase)), TimeSpan.FromSeconds(30),
                "the refusing edge saying in its log that the upstream's certificate is the problem:\n" + fooled.Output);
            using (var ready = await fooledClient.GetAsync("/readyz"))
            {
                Assert.Equal(503, (int)ready.StatusCode);
                Assert.Contains("upstream", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static StringContent Json(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");

    private static JsonElement Result(string body) => JsonDocument.Parse(body).RootElement.GetProperty("result").Clone();
}
