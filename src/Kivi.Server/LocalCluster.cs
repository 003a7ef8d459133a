using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Kivi.Server;

/// <summary>
/// <c>Kivi.Server cluster --edges N</c>: an origin and N edges as child processes on loopback ports, in
/// one command, for trying the edge tier and for the propagation benchmark. Ctrl-C stops them all.
/// </summary>
internal static partial class LocalCluster
{
    /// <summary>
    /// Runs the cluster until Ctrl-C. Each node is this program started again: <paramref name="nodeVerb"/>
    /// (e.g. <c>serve</c> for the kivi tool) precedes the node's options, after the assembly when run as
    /// <c>dotnet x.dll</c>.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, System.Reflection.Assembly? program = null, string[]? nodeVerb = null, CancellationToken cancellationToken = default)
    {
        var launcher = NodeLauncher.Of(program ?? typeof(LocalCluster).Assembly, nodeVerb ?? []);
        int edges = 2, port = 8787;
        string data = ".kivi-cluster";
        var extra = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--edges" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out edges) && edges is >= 0 and <= 64: i++; break;
                case "--port" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out port) && port is >= 0 and < 65536: i++; break;
                case "--data" when i + 1 < args.Length: data = args[++i]; break;
                default: extra.Add(args[i]); break; // passed to every node, e.g. --durable false
            }
        }
        data = Path.GetFullPath(data);
        Directory.CreateDirectory(data);
        var nodes = new List<Node>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken); // the host's Ctrl-C, when it has its own handler
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        try
        {
            string adminToken = "kivi_cluster_" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
            string tokenFile = Path.Combine(data, "admin-token");
            if (File.Exists(tokenFile)) adminToken = File.ReadAllText(tokenFile).Trim();
            var origin = await Node.StartAsync(launcher, "origin", Path.Combine(data, "origin.log"),
                ["--urls", Url(port), "--data", data, "--admin-token", adminToken, "--role", "origin", .. extra], stop.Token);
            nodes.Add(origin);
            if (!File.Exists(tokenFile)) await File.WriteAllTextAsync(tokenFile, adminToken + "\n", stop.Token);
            string replication = await IssueReplicationTokenAsync(origin.Url, adminToken, stop.Token);
            var starting = Enumerable.Range(1, edges).Select(i => Node.StartAsync(launcher, $"edge-{i}", Path.Combine(data, $"edge-{i}.log"),
                ["--urls", Url(port == 0 ? 0 : port + i), "--role", "edge", "--upstream", origin.Url.ToString(), "--upstream-token", replication,
                    "--data", Path.Combine(data, $"edge-{i}"), "--node-name", $"edge-{i}", .. extra], stop.Token));
            nodes.AddRange(await Task.WhenAll(starting));
            Console.WriteLine($"origin {origin.Url}");
            foreach (var node in nodes.Skip(1)) Console.WriteLine($"{node.Name} {node.Url}");
            Console.WriteLine($"admin-token {tokenFile}");
            Console.WriteLine($"logs {data}");
            Console.WriteLine("ready: Ctrl-C stops the cluster");
            var exited = nodes.Select(n => n.Exited).ToList();
            await Task.WhenAny(Task.WhenAny(exited), Task.Delay(Timeout.Infinite, stop.Token).ContinueWith(_ => { }, TaskScheduler.Default));
            if (!stop.IsCancellationRequested)
            {
                var dead = nodes.First(n => n.Exited.IsCompleted);
                Console.Error.WriteLine($"{dead.Name} exited unexpectedly; see {dead.LogPath}. Stopping the cluster.");
                return 1;
            }
            return 0;
        }
        catch (Exception e) when (e is InvalidOperationException or HttpRequestException or TimeoutException)
        {
            Console.Error.WriteLine($"The cluster did not start: {e.Message}");
            return 1;
        }
        finally
        {
            foreach (var node in nodes) node.Stop();
            foreach (var node in nodes)
            {
                await node.Exited.WaitAsync(TimeSpan.FromSeconds(15), CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default);
                node.Dispose();
            }
        }
    }

    private static string Url(int port) => $"http://127.0.0.1:{port}";

    private static async Task<string> IssueReplicationTokenAsync(Uri origin, string adminToken, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = origin };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
        var accounts = JsonDocument.Parse(await http.GetStringAsync("client/v4/accounts", ct));
        string account = accounts.RootElement.GetProperty("result")[0].GetProperty("id").GetString()!;
        using var body = new StringContent("""{"name":"local cluster edges","permission":"replication"}""", System.Text.Encoding.UTF8, "application/json");
        using var response = await http.PostAsync($"client/v4/accounts/{account}/tokens", body, ct);
        var issued = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"issuing the edges' replication token failed: {issued.RootElement}");
        return issued.RootElement.GetProperty("result").GetProperty("value").GetString()!;
    }

    /// <summary>How to start this same program again: the host, then the assembly when the host is dotnet, then the verb.</summary>
    private sealed record NodeLauncher(string FileName, string[] Prefix)
    {
        public static NodeLauncher Of(System.Reflection.Assembly program, string[] verb)
        {
            string host = Environment.ProcessPath!;
            bool viaDotnet = Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase);
            return new NodeLauncher(host, viaDotnet ? [program.Location, .. verb] : verb);
        }
    }

    /// <summary>One node: this same program, run again with a role, its output in a log file.</summary>
    private sealed partial class Node : IDisposable
    {
        private readonly Process _process;
        private readonly StreamWriter _log;
        private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private Node(NodeLauncher launcher, string name, string logPath, IEnumerable<string> args)
        {
            Name = name;
            LogPath = logPath;
            _log = new StreamWriter(logPath, append: false) { AutoFlush = true };
            var start = new ProcessStartInfo(launcher.FileName)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in launcher.Prefix.Concat(args)) start.ArgumentList.Add(arg);
            // The node's address is read from this line, whatever log level the caller chose.
            start.ArgumentList.Add("--Logging:LogLevel:Microsoft.Hosting.Lifetime=Information");
            _process = new Process { StartInfo = start, EnableRaisingEvents = true };
            _process.OutputDataReceived += (_, e) => OnLine(e.Data);
            _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
            _process.Exited += (_, _) =>
            {
                _listening.TrySetException(new InvalidOperationException($"{Name} exited before listening; see {LogPath}"));
                _exited.TrySetResult();
            };
        }

        public string Name { get; }
        public string LogPath { get; }
        public Uri Url { get; private set; } = null!;
        public Task Exited => _exited.Task;

        public static async Task<Node> StartAsync(NodeLauncher launcher, string name, string logPath, IEnumerable<string> args, CancellationToken ct)
        {
            var node = new Node(launcher, name, logPath, args);
            node._process.Start();
            node._process.BeginOutputReadLine();
            node._process.BeginErrorReadLine();
            node.Url = await node._listening.Task.WaitAsync(TimeSpan.FromSeconds(60), ct);
            return node;
        }

        private void OnLine(string? line)
        {
            if (line is null) return;
            lock (_log) _log.WriteLine(line);
            if (Listening().Match(line) is { Success: true } m) _listening.TrySetResult(new Uri(m.Groups[1].Value));
        }

        public void Stop()
        {
            try
            {
                if (!_process.HasExited) _process.Kill();
            }
            catch (InvalidOperationException)
            {
                // already gone
            }
        }

        public void Dispose()
        {
            Stop();
            _process.Dispose();
            lock (_log) _log.Dispose();
        }

        [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
        private static partial Regex Listening();
    }
}
