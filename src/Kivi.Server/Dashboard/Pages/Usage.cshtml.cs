using System.Globalization;
using Kivi.Protocol;
using Microsoft.AspNetCore.Mvc;

namespace Kivi.Server.Dashboard.Pages;

/// <summary>Reads, writes, deletes and lists per hour or day, keys and bytes over time, and the estimated Workers KV cost (admins).</summary>
internal sealed class UsageModel(DashboardApi api) : DashboardPage(api)
{
    [FromQuery] public string? Ns { get; set; }
    [FromQuery] public string Step { get; set; } = "hour";

    public List<(string Id, string Title)> Namespaces { get; } = [];
    public UsageAnswer? Answer { get; private set; }
    public CostEstimate? Cost { get; private set; }
    public List<string> Charts { get; } = [];

    public async Task OnGetAsync()
    {
        foreach (var n in (await Api.GetAsync(Token, NamespacesPath + "?per_page=1000&order=title", HttpContext.RequestAborted)).Result?.AsArray() ?? [])
            Namespaces.Add((n!["id"]!.GetValue<string>(), n["title"]!.GetValue<string>()));
        if (Step is not ("hour" or "day")) Step = "hour";
        string query = $"?step={Step}" + (string.IsNullOrEmpty(Ns) ? "" : "&namespace_id=" + Uri.EscapeDataString(Ns));
        var usage = await Api.GetAsync(Token, $"accounts/{Uri.EscapeDataString(AccountId)}/storage/kv/usage{query}", HttpContext.RequestAborted);
        if (!usage.Ok)
        {
            Error = usage.Status == 403 ? "Usage is for account admins." : usage.Error;
            Response.StatusCode = usage.Status;
            return;
        }
        var a = System.Text.Json.JsonSerializer.Deserialize(usage.Result!, KiviProtocolJsonContext.Default.UsageAnswer)!;
        Answer = a;
        decimal days = (decimal)(DateTimeOffset.Parse(a.Until, CultureInfo.InvariantCulture) - DateTimeOffset.Parse(a.Since, CultureInfo.InvariantCulture)).TotalDays;
        Cost = WorkersKvPrices.Published.Estimate(a.Totals, a.Totals.StoredBytes ?? 0, days);
        // One bar per period (namespaces summed), every period of the range shown, empty or not.
        long step = Step == "day" ? 86400 : 3600;
        long from = DateTimeOffset.Parse(a.Since, CultureInfo.InvariantCulture).ToUnixTimeSeconds(), to = DateTimeOffset.Parse(a.Until, CultureInfo.InvariantCulture).ToUnixTimeSeconds();
        var periods = new List<long>();
        for (long t = from; t < to; t += step) periods.Add(t);
        var byPeriod = a.Data.GroupBy(d => DateTimeOffset.Parse(d.Dimensions.Time, CultureInfo.InvariantCulture).ToUnixTimeSeconds()).ToDictionary(g => g.Key, g => g.ToList());
        string Label(long t) => DateTimeOffset.FromUnixTimeSeconds(t).UtcDateTime.ToString(Step == "day" ? "yyyy-MM-dd" : "yyyy-MM-dd HH:00", CultureInfo.InvariantCulture);
        void Chart(string title, Func<UsageMetrics, long> metric) =>
            Charts.Add(SvgChart.Bars(title, periods.Select(t => (Label(t), byPeriod.TryGetValue(t, out var ds) ? ds.Sum(d => metric(d.Metrics)) : 0L)).ToList()));
        Chart("Reads", m => m.Reads);
        Chart("Writes", m => m.Writes);
        Chart("Deletes", m => m.Deletes);
        Chart("Lists", m => m.Lists);
        var stored = await StoredAsync(a, periods, byPeriod, from);
        Charts.Add(SvgChart.Bars("Keys stored (at each period's end)", periods.Select(t => (Label(t), stored[t].Keys)).ToList()));
        Charts.Add(SvgChart.Bars("Bytes stored (at each period's end)", periods.Select(t => (Label(t), stored[t].Bytes)).ToList()));
    }

    /// <summary>How far back a namespace's storage is looked for when the range itself recorded none before a period.</summary>
    public const int StorageLookbackDays = 90;

    /// <summary>
    /// Keys and bytes stored at the end of each period, namespaces summed. The usage counts record a namespace's storage
    /// only in a period with a write or delete, so each namespace's figure is carried across the periods without one:
    /// from the last period that recorded it, in the range or in the <see cref="StorageLookbackDays"/> days before it, and
    /// for a namespace that recorded none in all that time, its storage now (it has not changed since).
    /// </summary>
    private async Task<Dictionary<long, (long Keys, long Bytes)>> StoredAsync(UsageAnswer a, List<long> periods,
        Dictionary<long, List<UsageDatum>> byPeriod, long from)
    {
        string since = DateTimeOffset.FromUnixTimeSeconds(from - StorageLookbackDays * 86400L).ToString("o", CultureInfo.InvariantCulture);
        var before = await Api.GetAsync(Token, $"accounts/{Uri.EscapeDataString(AccountId)}/storage/kv/usage?step=day&since={Uri.EscapeDataString(since)}&until={Uri.EscapeDataString(a.Since)}"
            + (string.IsNullOrEmpty(Ns) ? "" : "&namespace_id=" + Uri.EscapeDataString(Ns)), HttpContext.RequestAborted);
        var earlier = before.Ok ? System.Text.Json.JsonSerializer.Deserialize(before.Result!, KiviProtocolJsonContext.Default.UsageAnswer)!.Data : [];
        var recorded = earlier.Concat(a.Data).Where(d => d.Metrics.StoredKeys is not null).Select(d => d.Dimensions.NamespaceId).ToHashSet();
        var carried = a.Storage.Where(s => !recorded.Contains(s.NamespaceId)).ToDictionary(s => s.NamespaceId, s => (s.Keys, s.Bytes)); // unchanged all along
        foreach (var d in earlier.OrderBy(d => d.Dimensions.Time, StringComparer.Ordinal))
            if (d.Metrics.StoredKeys is { } keys) carried[d.Dimensions.NamespaceId] = (keys, d.Metrics.StoredBytes ?? 0);
        var result = new Dictionary<long, (long, long)>();
        foreach (long t in periods)
        {
            foreach (var d in byPeriod.GetValueOrDefault(t) ?? [])
                if (d.Metrics.StoredKeys is { } keys) carried[d.Dimensions.NamespaceId] = (keys, d.Metrics.StoredBytes ?? 0);
            result[t] = (carried.Values.Sum(c => c.Keys), carried.Values.Sum(c => c.Bytes));
        }
        return result;
    }
}
