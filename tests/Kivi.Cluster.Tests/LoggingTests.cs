namespace Kivi.Cluster.Tests;

/// <summary>What a node started as the README says writes to its console: its start, never a line per request unless asked.</summary>
public sealed class LoggingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<string> RunAsync(params string[] args)
    {
        string data = Directory.CreateTempSubdirectory("kivi-logs-").FullName;
        try
        {
            await using var node = await ServerProcess.StartAsync(data, ["--admin-token", "log-token", .. args]);
            using var client = new HttpClient { BaseAddress = node.BaseAddress };
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "log-token");
            for (int i = 0; i < 20; i++)
                using (var r = await client.GetAsync("/client/v4/accounts", Ct)) Assert.True(r.IsSuccessStatusCode);
            await node.StopAsync(); // every line written and read
            return node.Output;
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task By_default_a_node_logs_how_it_started_and_no_line_per_request()
    {
        string output = await RunAsync();
        Assert.Contains("Kivi single node: data in", output, StringComparison.Ordinal);
        Assert.Contains("Store: SQLite at", output, StringComparison.Ordinal);
        Assert.Contains("Now listening on: http://127.0.0.1:", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Request starting", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Request finished", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Executing endpoint", output, StringComparison.Ordinal);
        Assert.True(output.Split('\n').Length <= 10, "a few start-up lines:\n" + output);
    }

    [Fact]
    public async Task Request_logging_is_opt_in_and_json_logs_are_one_object_per_line()
    {
        string output = await RunAsync("--request-log", "true", "--log-format", "json");
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, line => System.Text.Json.JsonDocument.Parse(line).Dispose()); // every line is one JSON object
        Assert.True(lines.Count(l => l.Contains("\"Request finished", StringComparison.Ordinal)) == 20, output);
    }
}
