using System.CommandLine;
using Kivi.Protocol;

namespace Kivi.Cli;

/// <summary>The <c>kivi</c> command: parses, runs one command, maps every failure to a message and an exit code.</summary>
internal static class KiviCli
{
    public static async Task<int> RunAsync(string[] args, CliConsole console, CancellationToken cancellationToken = default)
    {
        var globals = new Globals(console);
        var root = new RootCommand("kivi: run Kivi, and manage its namespaces, keys and data. Docs: docs/cli.md.")
        {
            globals.Url, globals.Token, globals.AccountId, globals.Profile, globals.Json, globals.Quiet,
        };
        root.Subcommands.Add(ServeCommands.Serve(globals));
        root.Subcommands.Add(ServeCommands.Cluster(globals));
        root.Subcommands.Add(ServeCommands.Check(globals));
        root.Subcommands.Add(NamespaceCommands.Build(globals));
        root.Subcommands.Add(KeyCommands.Build(globals));
        root.Subcommands.Add(BulkCommands.Build(globals));
        root.Subcommands.Add(TransferCommands.Export(globals));
        root.Subcommands.Add(TransferCommands.Import(globals));
        root.Subcommands.Add(SnapshotCommands.Snapshot(globals));
        root.Subcommands.Add(SnapshotCommands.Restore(globals));
        root.Subcommands.Add(UsageCommands.Usage(globals));
        root.Subcommands.Add(UsageCommands.Audit(globals));
        root.Subcommands.Add(ProfileCommands.Build(globals));

        var parsed = root.Parse(args);
        var configuration = new InvocationConfiguration
        {
            Output = console.Out,
            Error = console.Error,
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = TimeSpan.FromSeconds(30), // Ctrl-C cancels the command, which stops cleanly
        };
        if (parsed.Errors.Count > 0 && parsed.Action is not System.CommandLine.Help.HelpAction)
        {
            foreach (var error in parsed.Errors) await console.Error.WriteLineAsync($"error: {error.Message}");
            await console.Error.WriteLineAsync($"Run `kivi {string.Join(' ', CommandPath(parsed))} --help` for usage.".Replace("  ", " ", StringComparison.Ordinal));
            return ExitCodes.Usage;
        }
        return await parsed.InvokeAsync(configuration, cancellationToken);
    }

    private static IEnumerable<string> CommandPath(ParseResult parsed)
    {
        var names = new List<string>();
        for (var r = parsed.CommandResult; r is not null && r.Command is not RootCommand; r = r.Parent as System.CommandLine.Parsing.CommandResult)
            names.Insert(0, r.Command.Name);
        return names;
    }
}

/// <summary>The options every command takes, and what each command needs from them.</summary>
internal sealed class Globals(CliConsole console)
{
    public CliConsole Console { get; } = console;

    public Option<string?> Url { get; } = new("--url") { Description = "Server URL (env KIVI_URL; default http://127.0.0.1:8787)", Recursive = true };
    public Option<string?> Token { get; } = new("--token") { Description = "API token (env KIVI_TOKEN; found in ./.kivi/admin-token for a local server)", Recursive = true };
    public Option<string?> AccountId { get; } = new("--account-id") { Description = "Account (env KIVI_ACCOUNT_ID; default: the token's only account)", Recursive = true };
    public Option<string?> Profile { get; } = new("--profile") { Description = "Named profile from the config file (env KIVI_PROFILE)", Recursive = true };
    public Option<bool> Json { get; } = new("--json") { Description = "Machine-readable JSON output instead of tables", Recursive = true };
    public Option<bool> Quiet { get; } = new("--quiet", "-q") { Description = "No progress bars or notes on standard error", Recursive = true };

    public Connection Connect(ParseResult r) => Connection.Resolve(Console, r.GetValue(Url), r.GetValue(Token), r.GetValue(AccountId), r.GetValue(Profile));

    public KiviApi Api(ParseResult r) => new(Connect(r));

    public Output Output(ParseResult r) => new(Console, r.GetValue(Json), r.GetValue(Quiet));

    /// <summary>Sets a command's action, reporting failures as messages with exit codes instead of stack traces.</summary>
    public void Action(Command command, Func<ParseResult, CancellationToken, Task<int>> action) =>
        command.SetAction(async (r, ct) =>
        {
            try
            {
                return await action(r, ct);
            }
            catch (CliException e)
            {
                return Fail(e.ExitCode, e.Message, e.Hint);
            }
            catch (KvException e)
            {
                var (code, hint) = Classify(e);
                return Fail(code, $"{e.Message} (HTTP {e.StatusCode}{(e.Code != 0 ? $", code {e.Code}" : "")})", hint);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return Fail(ExitCodes.Interrupted, "Interrupted.", null);
            }
            catch (HttpRequestException e)
            {
                return Fail(ExitCodes.Unreachable, $"The connection to the server failed: {e.Message}", "Check that it is running; an import or export can continue with --resume.");
            }
            catch (IOException e) when (e.InnerException is System.Net.Sockets.SocketException or HttpRequestException)
            {
                return Fail(ExitCodes.Unreachable, $"The connection to the server broke: {e.Message}", "An import or export can continue with --resume.");
            }
        });

    private int Fail(int code, string message, string? hint)
    {
        Console.Error.WriteLine($"error: {message}");
        if (hint is not null) Console.Error.WriteLine($"  {hint}");
        return code;
    }

    private static (int Code, string? Hint) Classify(KvException e) => e.StatusCode switch
    {
        401 or 403 => (ExitCodes.Denied, "The token was not accepted, or may not do this: check --token, KIVI_TOKEN or the profile; namespaces need an account admin token, snapshots the admin token."),
        404 => (ExitCodes.NotFound, null),
        412 or 409 => (ExitCodes.Conflict, null),
        _ when e.Code == (int)KvErrorCode.NamespaceTitleExists => (ExitCodes.Conflict, "Choose another title, or rename the existing namespace."),
        503 => (ExitCodes.Unreachable, "The server, or its upstream, is unavailable; try again."),
        >= 400 and < 500 => (ExitCodes.BadInput, null),
        _ => (ExitCodes.Failed, null),
    };
}
