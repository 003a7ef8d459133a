using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Kivi.Testing;

/// <summary>
/// A scrape of <c>/metrics</c> parsed by Prometheus's own text parser (its Python client, Debian's
/// python3-prometheus-client, installed by test.sh): samples by name and labels.
/// </summary>
public sealed class PrometheusText
{
    private const string Parser = """
        import json, sys
        from prometheus_client.parser import text_string_to_metric_families
        out = []
        for family in text_string_to_metric_families(sys.stdin.read()):
            for s in family.samples:
                out.append({"family": family.name, "type": family.type, "name": s.name, "labels": s.labels, "value": s.value})
        print(json.dumps(out))
        """;

    public sealed record Sample(string Family, string Type, string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    public IReadOnlyList<Sample> Samples { get; }

    private PrometheusText(IReadOnlyList<Sample> samples) => Samples = samples;

    public static async Task<PrometheusText> ScrapeAsync(HttpClient client, CancellationToken cancellationToken = default)
    {
        using var response = await client.GetAsync("/metrics", cancellationToken);
        string text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"/metrics answered {(int)response.StatusCode}: {text}");
        return await ParseAsync(text, cancellationToken);
    }

    public static async Task<PrometheusText> ParseAsync(string text, CancellationToken cancellationToken = default)
    {
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Parser);
        using var python = Process.Start(start)!;
        await python.StandardInput.WriteAsync(text);
        python.StandardInput.Close();
        string output = await python.StandardOutput.ReadToEndAsync(cancellationToken);
        string errors = await python.StandardError.ReadToEndAsync(cancellationToken);
        await python.WaitForExitAsync(cancellationToken);
        if (python.ExitCode != 0) throw new InvalidOperationException($"Prometheus's parser refused the scrape: {errors}\n{text}");
        var samples = JsonDocument.Parse(output).RootElement.EnumerateArray().Select(s => new Sample(
            s.GetProperty("family").GetString()!, s.GetProperty("type").GetString()!, s.GetProperty("name").GetString()!,
            s.GetProperty("labels").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!),
            s.GetProperty("value").ValueKind == JsonValueKind.Number ? s.GetProperty("value").GetDouble() : double.Parse(s.GetProperty("value").GetString()!, CultureInfo.InvariantCulture))).ToList();
        return new PrometheusText(samples);
    }

    /// <summary>The value of the sample named <paramref name="name"/> whose labels include <paramref name="labels"/> (name=value pairs); null if none.</summary>
    public double? Value(string name, params (string Label, string Value)[] labels) =>
        Samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Label, out var v) && v == l.Value)).Select(s => (double?)s.Value).FirstOrDefault();

    public bool Has(string name) => Samples.Any(s => s.Name == name);
}
