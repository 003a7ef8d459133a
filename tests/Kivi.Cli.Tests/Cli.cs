using System.Text;

namespace Kivi.Cli.Tests;

/// <summary>What one run of the command printed and returned.</summary>
internal sealed record CliResult(int Code, byte[] Stdout, string Stderr)
{
    public string Out => Encoding.UTF8.GetString(Stdout);
    public override string ToString() => $"exit {Code}\nstdout: {Out}\nstderr: {Stderr}";
}

/// <summary>
/// Runs kivi in process exactly as Program does, with its own folder, environment and config file, against
/// a real server. Nothing of the test machine's environment leaks in.
/// </summary>
internal sealed class Cli : IDisposable
{
    private readonly Dictionary<string, string?> _environment;

    public Cli(KiviServerFixture? server, string? token = KiviServerFixture.Token)
    {
        Folder = Directory.CreateTempSubdirectory("kivi-cli-").FullName;
        _environment = new()
        {
            ["HOME"] = Folder,
            ["KIVI_CONFIG"] = Path.Combine(Folder, "config.json"),
            ["KIVI_URL"] = server?.BaseAddress.ToString(),
            ["KIVI_TOKEN"] = token,
        };
    }

    public string Folder { get; }

    public string this[string variable]
    {
        set => _environment[variable] = value;
    }

    public void Unset(string variable) => _environment.Remove(variable);

    public string PathOf(string name) => Path.Combine(Folder, name);

    public async Task<CliResult> RunAsync(params string[] args) => await RunAsync(args, stdin: null);

    public async Task<CliResult> RunAsync(string[] args, byte[]? stdin, CancellationToken cancellationToken = default)
    {
        using var stdout = new MemoryStream();
        using var stderr = new MemoryStream();
        using var input = new MemoryStream(stdin ?? []);
        var console = new CliConsole(stdout, stderr, input, v => _environment.GetValueOrDefault(v), Folder, inIsTerminal: stdin is null);
        int code = await KiviCli.RunAsync(args, console, cancellationToken);
        return new CliResult(code, stdout.ToArray(), Encoding.UTF8.GetString(stderr.ToArray()));
    }

    /// <summary>Runs and asserts the exit code, showing everything printed when it differs.</summary>
    public async Task<CliResult> ExpectAsync(int code, params string[] args)
    {
        var result = await RunAsync(args);
        Assert.True(result.Code == code, $"kivi {string.Join(' ', args)}: expected exit {code}\n{result}");
        return result;
    }

    public Task<CliResult> OkAsync(params string[] args) => ExpectAsync(ExitCodes.Ok, args);

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
