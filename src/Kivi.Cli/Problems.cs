namespace Kivi.Cli;

/// <summary>
/// The invalid entries of an input file, each reported with its line or index. Without --continue-on-error
/// any problem refuses the whole file before anything is written; with it, each is reported and skipped.
/// </summary>
internal sealed class Problems(CliConsole console, string file, bool continueOnError)
{
    private const int ShownWhenRefusing = 20;

    public int Count { get; private set; }
    public bool ContinueOnError => continueOnError;

    public void Report(string where, string? key, string message)
    {
        Count++;
        if (continueOnError || Count <= ShownWhenRefusing)
            console.Error.WriteLine($"{file}:{where}{(key is null ? "" : $" (key \"{Shorten(key)}\")")}: {message}");
    }

    /// <summary>Refuses the file when anything was wrong and the user did not ask to carry on.</summary>
    public void ThrowIfRefused()
    {
        if (Count == 0 || continueOnError) return;
        if (Count > ShownWhenRefusing) console.Error.WriteLine($"… and {Count - ShownWhenRefusing} more.");
        throw new CliException(ExitCodes.BadInput, $"{file} has {Count} invalid entr{(Count == 1 ? "y" : "ies")}; nothing was written.",
            "Fix them, or pass --continue-on-error to write the valid entries and report each invalid one.");
    }

    private static string Shorten(string key) => key.Length <= 60 ? key : key[..57] + "...";
}
