#pragma warning disable xUnit1051 // every wait in these multi-process tests has its own deadline
namespace Kivi.Cluster.Tests;

/// <summary>Traces over OTLP, on real processes: an edge continues a client's trace and carries it to its origin.</summary>
[Collection("edge cluster")]
public sealed class TracingTests
{
    [Fact]
    public async Task A_read_forwarded_by_an_edge_is_one_trace_exported_by_the_edge_and_by_the_origin()
    {
        await using var originTraces = await OtlpReceiver.StartAsync();
        await using var edgeTraces = await OtlpReceiver.StartAsync();
        await using var cluster = await EdgeCluster.StartAsync(0, originArgs: ["--otlp-endpoint", originTraces.Address.ToString()]);
        var edge = EdgeCluster.Client((await cluster.StartEdgeAsync(["--otlp-endpoint", edgeTraces.Address.ToString()])).BaseAddress, EdgeCluster.AdminToken);
        await EdgeCluster.PutAsync(cluster.Admin, cluster.ValuePath("traced"), "v");

        string traceId = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        using var request = new HttpRequestMessage(HttpMethod.Get, cluster.ValuePath("traced") + "?consistency=strong"); // forwarded to the origin
        request.Headers.Add("traceparent", $"00-{traceId}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8))}-01");
        using (var response = await edge.SendAsync(request)) Assert.Equal("v", await response.Content.ReadAsStringAsync());

        await EdgeCluster.WaitUntilAsync(() => Task.FromResult(edgeTraces.Saw(traceId) && originTraces.Saw(traceId)), TimeSpan.FromSeconds(30),
            "the trace exported by the edge and, carried upstream, by the origin");
    }
}
