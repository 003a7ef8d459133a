using System.Text.Json;
using Kivi.Protocol;

namespace Kivi.Server.Usage;

/// <summary>
/// An edge's numbered usage reports not yet acknowledged by its upstream, kept in a file in its data folder: each
/// report is written (and fsynced) before it is first sent, and removed only once the upstream has applied it. The
/// upstream applies each number once, so a report resent after a crash, a restart or a lost answer counts once;
/// what a killed edge loses is at most what it had counted since its last report was cut.
/// </summary>
internal sealed partial class UsageOutbox
{
    private sealed record State(long Next, List<UsageReport> Pending);

    private readonly string _path;
    private State _state;

    public UsageOutbox(string folder, string reporter)
    {
        Reporter = reporter;
        Directory.CreateDirectory(folder);
        _path = Path.Combine(folder, $"usage-outbox-{Sanitize(reporter)}.json");
        _state = File.Exists(_path)
            ? JsonSerializer.Deserialize(File.ReadAllBytes(_path), UsageOutboxJsonContext.Default.State) ?? new State(1, [])
            : new State(1, []);
    }

    public string Reporter { get; }

    public string FilePath => _path;

    public IReadOnlyList<UsageReport> Pending => _state.Pending;

    /// <summary>Numbers <paramref name="rows"/> as the next report and keeps it on disk before anything sends it.</summary>
    public void Cut(IReadOnlyList<UsageCount> rows)
    {
        if (rows.Count == 0) return;
        var report = new UsageReport(Reporter, _state.Next, rows);
        Save(new State(_state.Next + 1, [.. _state.Pending, report]));
    }

    /// <summary>Forgets a report the upstream acknowledged.</summary>
    public void Acknowledged(UsageReport report) => Save(_state with { Pending = _state.Pending.Where(r => r.Sequence != report.Sequence).ToList() });

    private void Save(State state)
    {
        string temporary = _path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(file, state, UsageOutboxJsonContext.Default.State);
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, _path, overwrite: true);
        _state = state;
    }

    private static string Sanitize(string name) => string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));

    [System.Text.Json.Serialization.JsonSerializable(typeof(State))]
    private sealed partial class UsageOutboxJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
}
