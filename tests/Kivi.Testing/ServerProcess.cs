using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Kivi.Testing;

/// <summary>A Kivi node as a real child process on a loopback port, which a test can SIGKILL.</summary>
public sealed partial class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<string> _output = [];

    public bool HasExited => _process.HasExited;

    private ServerProcess(string dataFolder, IEnumerable<string> extraArgs)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "Kivi.Server.dll"), "--urls", "http://127.0.0.1:0", "--data", dataFolder }.Concat(extraArgs))
            start.ArgumentList.Add(arg);
        start.Environment["DOTNET_gcServer"] = "0";
        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _process.Exited += (_, _) => _listening.TrySetException(new InvalidOperationException("Kivi exited before listening:\n" + Output));
    }

    public Uri BaseAddress { get; private set; } = null!;

    public string Output
    {
        get { lock (_output) return string.Join('\n', _output); }
    }

    public static async Task<ServerProcess> StartAsync(string dataFolder, params string[] extraArgs)
    {
        var server = new ServerProcess(dataFolder, extraArgs);
        server._process.Start();
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        server.BaseAddress = await server._listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
        return server;
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (_output) _output.Add(line);
        if (ListeningLine().Match(line) is { Success: true } m) _listening.TrySetResult(new Uri(m.Groups[1].Value));
    }

    /// <summary>SIGTERM, as a service manager stops a node: it drains and exits; completes once its output is all read.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited) return;
        if (Kill(_process.Id, 15) != 0) throw new InvalidOperationException($"kill -TERM {_process.Id} failed");
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30)); // also waits for the end of its output
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary>SIGKILL: no shutdown hooks, no flushing; what was acknowledged must already be on disk.</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: false);
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    private bool _disposed;

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        await KillAsync();
        _process.Dispose();
    }

    [GeneratedRegex(@"Now listening on: (https?://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningLine();
}
