namespace Kivi.Core.Storage;

/// <summary>The store's file is damaged (a failed integrity check, a file that is no database): it is not opened, and nothing is written into it.</summary>
public sealed class StoreDamagedException(string location, string problem, Exception? inner = null)
    : Exception($"The store at {location} is damaged: {problem}. Kivi will not open it or write into it. Keep the file for inspection, run `kivi check --data <folder>` for a full report, and restore from a snapshot (`kivi restore`) or a backup into a new data folder.", inner)
{
    public string Location { get; } = location;
    public string Problem { get; } = problem;
}
