using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace Kivi.Cli;

/// <summary>
/// What a command prints: tables on a terminal, tab-separated lines when piped, JSON with --json. Data goes
/// to standard output; notes and progress to standard error.
/// </summary>
internal sealed class Output(CliConsole console, bool json, bool quiet)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonSerializerOptions Compact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public bool Json => json;
    public bool Quiet => quiet;
    public CliConsole Console => console;

    public void Table(string[] headers, IEnumerable<string?[]> rows)
    {
        if (console.OutIsTerminal)
        {
            var table = new Table().Border(TableBorder.Rounded);
            foreach (var h in headers) table.AddColumn(new TableColumn(Markup.Escape(h)));
            foreach (var row in rows) table.AddRow(row.Select(c => (Spectre.Console.Rendering.IRenderable)new Text(c ?? "")).ToArray());
            console.OutConsole().Write(table);
            return;
        }
        console.Out.WriteLine(string.Join('\t', headers));
        foreach (var row in rows) console.Out.WriteLine(string.Join('\t', row.Select(c => c?.Replace('\t', ' ').Replace('\n', ' ') ?? "")));
    }

    public void WriteJson(JsonNode? node) => console.Out.WriteLine(node?.ToJsonString(console.OutIsTerminal ? Indented : Compact) ?? "null");

    public void Line(string text) => console.Out.WriteLine(text);

    /// <summary>A note for the person at the terminal (never for scripts parsing standard output).</summary>
    public void Note(string text)
    {
        if (!quiet) console.Error.WriteLine(text);
    }

    /// <summary>Runs <paramref name="work"/> with a progress bar on standard error when it is a terminal; silently otherwise.</summary>
    public async Task<T> ProgressAsync<T>(string description, double? total, Func<Action<double>, Task<T>> work)
    {
        if (quiet || !console.ErrorIsTerminal) return await work(_ => { });
        T result = default!;
        await console.ErrorConsole().Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(description), maxValue: total ?? 100);
                task.IsIndeterminate = total is null;
                result = await work(n => task.Increment(n));
                task.StopTask();
            });
        return result;
    }
}
