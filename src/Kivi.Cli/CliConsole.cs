using System.Text;
using Spectre.Console;

namespace Kivi.Cli;

/// <summary>
/// The process's streams, environment and folder, passed in so that every command can run inside a test
/// exactly as it runs in a terminal.
/// </summary>
internal sealed class CliConsole
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    public CliConsole(Stream stdout, Stream stderr, Stream stdin, Func<string, string?> environment, string workingDirectory,
        bool outIsTerminal = false, bool errorIsTerminal = false, bool inIsTerminal = false)
    {
        Stdout = stdout;
        Stdin = stdin;
        Out = new StreamWriter(stdout, Utf8, leaveOpen: true) { AutoFlush = true };
        Error = new StreamWriter(stderr, Utf8, leaveOpen: true) { AutoFlush = true };
        Environment = environment;
        WorkingDirectory = workingDirectory;
        OutIsTerminal = outIsTerminal;
        ErrorIsTerminal = errorIsTerminal;
        InIsTerminal = inIsTerminal;
    }

    public static CliConsole FromProcess() => new(
        Console.OpenStandardOutput(), Console.OpenStandardError(), Console.OpenStandardInput(),
        System.Environment.GetEnvironmentVariable, Directory.GetCurrentDirectory(),
        !Console.IsOutputRedirected, !Console.IsErrorRedirected, !Console.IsInputRedirected);

    /// <summary>Raw standard output, for values that may be binary.</summary>
    public Stream Stdout { get; }
    public Stream Stdin { get; }
    public TextWriter Out { get; }
    public TextWriter Error { get; }
    public Func<string, string?> Environment { get; }
    public string WorkingDirectory { get; }
    public bool OutIsTerminal { get; }
    public bool ErrorIsTerminal { get; }
    public bool InIsTerminal { get; }

    /// <summary>A path as the user meant it: relative to their folder.</summary>
    public string FullPath(string path) => Path.GetFullPath(path, WorkingDirectory);

    /// <summary>Spectre console over standard output (tables), colours only on a terminal.</summary>
    public IAnsiConsole OutConsole() => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(Out),
        Ansi = OutIsTerminal ? AnsiSupport.Detect : AnsiSupport.No,
        ColorSystem = OutIsTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        Interactive = InteractionSupport.No,
    });

    /// <summary>Spectre console over standard error (progress bars), interactive only on a terminal.</summary>
    public IAnsiConsole ErrorConsole() => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(Error),
        Ansi = ErrorIsTerminal ? AnsiSupport.Detect : AnsiSupport.No,
        ColorSystem = ErrorIsTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        Interactive = ErrorIsTerminal ? InteractionSupport.Yes : InteractionSupport.No,
    });
}
