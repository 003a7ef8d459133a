using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Kivi.Cli.Tests;

/// <summary>`kivi serve` and `kivi cluster up` as the real processes a user starts.</summary>
public sealed partial class ProcessTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The kivi tool built beside the tests, run as `dotnet Kivi.Cli.dll ...` with its output collected.</summary>
    private sealed class Kivi : IDisposable
    {
        private readonly Process _process;
        private readonly List<string> _lines = [];

        public Kivi(string folder, params string[] args)
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = folder };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Kivi.Cli.dll"));
            foreach (var a in args) start.ArgumentList.Add(a);
            _process = Process.Start(start)!;
            _process.OutputDataReceived += (_, e) => { if (e.Data is { } l) lock (_lines) _lines.Add(l); };
            _process.ErrorDataReceived += (_, e) => { if (e.Data is { } l) lock (_lines) _lines.Add(l); };
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        public string Output
        {
            get { lock (_lines) return string.Join('\n', _lines); }
        }

        /// <summary>Waits (with a deadline) for a line matching <paramref name="pattern"/>; returns its first group.</summary>
        public async Task<string> WaitForAsync(Regex pattern, int seconds = 60)
        {
            var deadline = DateTime.UtcNow.AddSeconds(seconds);
            while (true)
            {
                lock (_lines)
                    foreach (var line in _lines)
                        if (pattern.Match(line) is { Success: true } m) return m.Groups[1].Value;
                Assert.False(_process.HasExited, $"kivi exited with {(_process.HasExited ? _process.ExitCode : 0)}:\n{Output}");
                Assert.True(DateTime.UtcNow < deadline, $"No line matching {pattern} within {seconds} s:\n{Output}");
                await Task.Delay(50, Ct);
            }
        }

        /// <summary>SIGTERM, as a service manager stops it; returns the exit code.</summary>
        public async Task<int> StopAsync()
        {
            using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync(Ct);
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _process.WaitForExitAsync(deadline.Token);
            return _process.ExitCode;
        }

        public void Dispose()
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.Dispose();
        }
    }

    [Fact]
    public async Task Serve_runs_the_server_and_the_cli_beside_its_data_folder_finds_the_admin_token()
    {
        using var cli = new Cli(server: null, token: null);
        string url;
        using (var serve = new Kivi(cli.Folder, "serve", "--urls", "http://127.0.0.1:0"))
        {
            url = await serve.WaitForAsync(Listening());
            Assert.True(File.Exists(cli.PathOf(".kivi/admin-token")));
            cli["KIVI_URL"] = url;
            string ns = (await cli.OkAsync("namespace", "create", "served")).Out.Trim();
            await cli.OkAsync("key", "put", ns, "k", "kept");
            Assert.Equal(0, await serve.StopAsync());
        }
        using (var again = new Kivi(cli.Folder, "serve", "--urls", "http://127.0.0.1:0"))
        {
            cli["KIVI_URL"] = await again.WaitForAsync(Listening());
            Assert.Equal("kept", (await cli.OkAsync("key", "get", "served", "k")).Out);
        }
    }

    [Fact]
    public async Task Cluster_up_starts_an_origin_and_edges_that_see_its_writes()
    {
        using var cli = new Cli(server: null, token: null);
        using var cluster = new Kivi(cli.Folder, "cluster", "up", "--edges", "1", "--port", "0", "--durable", "false");
        await cluster.WaitForAsync(Ready());
        string origin = await cluster.WaitForAsync(Node("origin")), edge = await cluster.WaitForAsync(Node("edge-1"));
        cli["KIVI_URL"] = origin; // the token comes from .kivi-cluster/admin-token
        string ns = (await cli.OkAsync("namespace", "create", "clustered")).Out.Trim();
        await cli.OkAsync("key", "put", ns, "k", "from the origin");
        cli["KIVI_URL"] = edge;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await cli.RunAsync("key", "get", ns, "k")).Out != "from the origin")
        {
            Assert.True(DateTime.UtcNow < deadline, "the edge never served the origin's write");
            await Task.Delay(50, Ct);
        }
        Assert.Equal(0, await cluster.StopAsync());
    }

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex Listening();

    [GeneratedRegex(@"^(ready)")]
    private static partial Regex Ready();

    private static Regex Node(string name) => new($"^{name} (http://127\\.0\\.0\\.1:\\d+/?)");
}
