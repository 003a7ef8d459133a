using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kivi.Protocol;

namespace Kivi.Cli;

/// <summary><c>kivi usage</c> (operations by hour or day, with what Workers KV would charge) and <c>kivi audit</c> (who changed what).</summary>
internal static class UsageCommands
{
    public static Command Usage(Globals g)
    {
        var ns = new Option<string?>("--namespace", "-n") { Description = "Only this namespace (id or title)" };
        var since = new Option<string?>("--since") { Description = "From (ISO 8601, Unix seconds, or an age such as 24h or 7d; default: a day ago, or 30 days with --by day)" };
        var until = new Option<string?>("--until") { Description = "Until (as --since; default: now)" };
        var by = new Option<string>("--by") { Description = "Period: hour or day", DefaultValueFactory = _ => "hour" };
        by.AcceptOnlyFromAmong("hour", "day");
        var readPrice = new Option<decimal>("--price-reads") { Description = "Workers KV's price per million reads, USD", DefaultValueFactory = _ => WorkersKvPrices.Published.ReadsPerMillion };
        var writePrice = new Option<decimal>("--price-writes") { Description = "Workers KV's price per million writes, deletes or lists, USD", DefaultValueFactory = _ => WorkersKvPrices.Published.WritesPerMillion };
        var storagePrice = new Option<decimal>("--price-storage") { Description = "Workers KV's price per GB-month stored, USD", DefaultValueFactory = _ => WorkersKvPrices.Published.StoragePerGbMonth };

        var usage = new Command("usage", "Reads, writes, deletes and lists by hour or day, with storage, and what Workers KV would charge for them")
            { ns, since, until, by, readPrice, writePrice, storagePrice };
        g.Action(usage, async (r, ct) =>
        {
            using var api = g.Api(r);
            string account = await api.AccountIdAsync(ct);
            var names = (await api.ListNamespacesAsync(ct)).ToDictionary(n => n.Id, n => n.Title);
            var query = new List<string> { $"step={r.GetValue(by)}" };
            if (r.GetValue(ns) is { } wanted) query.Add("namespace_id=" + (await api.ResolveNamespaceAsync(wanted, ct)).Id);
            if (r.GetValue(since) is { } s) query.Add("since=" + Uri.EscapeDataString(Time(s, "--since")));
            if (r.GetValue(until) is { } u) query.Add("until=" + Uri.EscapeDataString(Time(u, "--until")));
            var result = await api.SendAsync(HttpMethod.Get, $"accounts/{account}/storage/kv/usage?{string.Join('&', query)}", null, ct);
            var answer = result.Deserialize(KiviProtocolJsonContext.Default.UsageAnswer)!;
            var prices = WorkersKvPrices.Published with { ReadsPerMillion = r.GetValue(readPrice), WritesPerMillion = r.GetValue(writePrice), StoragePerGbMonth = r.GetValue(storagePrice) };
            decimal days = (decimal)(DateTimeOffset.Parse(answer.Until, CultureInfo.InvariantCulture) - DateTimeOffset.Parse(answer.Since, CultureInfo.InvariantCulture)).TotalDays;
            var cost = prices.Estimate(answer.Totals, answer.Totals.StoredBytes ?? 0, days);

            var output = g.Output(r);
            if (output.Json)
            {
                var json = JsonSerializer.SerializeToNode(answer, KiviProtocolJsonContext.Default.UsageAnswer)!.AsObject();
                json["workers_kv_cost_usd"] = JsonSerializer.SerializeToNode(cost, UsageCliJsonContext.Default.CostEstimate);
                output.WriteJson(json);
                return ExitCodes.Ok;
            }
            string Name(string id) => names.TryGetValue(id, out var title) ? title : id;
            output.Table(["PERIOD", "NAMESPACE", "READS", "WRITES", "DELETES", "LISTS", "READ", "WRITTEN", "KEYS"],
                answer.Data.Select(d => new[]
                {
                    d.Dimensions.Time, Name(d.Dimensions.NamespaceId), Count(d.Metrics.Reads), Count(d.Metrics.Writes), Count(d.Metrics.Deletes),
                    Count(d.Metrics.Lists), Bytes(d.Metrics.ReadBytes), Bytes(d.Metrics.WriteBytes), d.Metrics.StoredKeys is { } k ? Count(k) : "",
                }));
            var t = answer.Totals;
            output.Line($"{answer.Since} to {answer.Until}: {Count(t.Reads)} reads, {Count(t.Writes)} writes, {Count(t.Deletes)} deletes, {Count(t.Lists)} lists; "
                + $"stored now {Count(t.StoredKeys ?? 0)} keys, {Bytes(t.StoredBytes ?? 0)}.");
            output.Line($"On Workers KV (paid plan, allowances prorated over {days:0.##} days): ${cost.Total:0.00} "
                + $"(reads ${cost.Reads:0.00}, writes ${cost.Writes:0.00}, deletes ${cost.Deletes:0.00}, lists ${cost.Lists:0.00}, storage ${cost.Storage:0.00}).");
            return ExitCodes.Ok;
        });
        return usage;
    }

    public static Command Audit(Globals g)
    {
        var ns = new Argument<string>("namespace") { Description = "Namespace id or title" };
        var key = new Option<string?>("--key", "-k") { Description = "Only this key's changes" };
        var since = new Option<string?>("--since") { Description = "From (ISO 8601, Unix seconds, or an age such as 24h or 7d)" };
        var until = new Option<string?>("--until") { Description = "Until (as --since)" };
        var limit = new Option<int>("--limit") { Description = "At most this many changes, newest first", DefaultValueFactory = _ => 100 };

        var audit = new Command("audit", "Who changed a namespace or a key, and when: time, key, kind, version and token, newest first") { ns, key, since, until, limit };
        g.Action(audit, async (r, ct) =>
        {
            using var api = g.Api(r);
            var target = await api.ResolveNamespaceAsync(r.GetValue(ns)!, ct);
            int wanted = r.GetValue(limit);
            if (wanted < 1) throw new CliException(ExitCodes.Usage, "--limit must be at least 1.");
            var query = new List<string>();
            if (r.GetValue(key) is { } k) query.Add("key=" + Uri.EscapeDataString(k));
            if (r.GetValue(since) is { } s) query.Add("since=" + Uri.EscapeDataString(Time(s, "--since")));
            if (r.GetValue(until) is { } u) query.Add("until=" + Uri.EscapeDataString(Time(u, "--until")));
            var events = new List<AuditEvent>();
            string cursor = "";
            do
            {
                var page = new List<string>(query) { $"limit={Math.Min(AuditAnswer.MaxLimit, wanted - events.Count)}" };
                if (cursor.Length > 0) page.Add("cursor=" + cursor);
                var result = await api.SendAsync(HttpMethod.Get, $"{await api.NamespacesPathAsync(ct)}/{target.Id}/audit?{string.Join('&', page)}", null, ct);
                var answer = result.Deserialize(KiviProtocolJsonContext.Default.AuditAnswer)!;
                events.AddRange(answer.Changes);
                cursor = answer.Cursor;
            }
            while (cursor.Length > 0 && events.Count < wanted);

            var output = g.Output(r);
            if (output.Json) output.WriteJson(JsonSerializer.SerializeToNode(new AuditAnswer(events, cursor), KiviProtocolJsonContext.Default.AuditAnswer));
            else output.Table(["TIME", "KEY", "KIND", "VERSION", "TOKEN"], events.Select(e => new[]
            {
                e.Time ?? "(before the audit)", e.Key ?? "", e.Kind, e.Version.ToString(CultureInfo.InvariantCulture),
                e.TokenName is null ? (e.Kind == "expire" ? "(expired)" : "") : $"{e.TokenName} ({e.TokenId})",
            }));
            return ExitCodes.Ok;
        });
        return audit;
    }

    /// <summary>ISO 8601 or Unix seconds as given; an age ("90m", "24h", "7d") as the ISO time that long ago.</summary>
    internal static string Time(string text, string option)
    {
        if (text.Length > 1 && text[^1] is 'm' or 'h' or 'd' && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out double n) && n >= 0)
        {
            var age = text[^1] switch { 'm' => TimeSpan.FromMinutes(n), 'h' => TimeSpan.FromHours(n), _ => TimeSpan.FromDays(n) };
            return (DateTimeOffset.UtcNow - age).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        }
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out _)
            || DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _)) return text;
        throw new CliException(ExitCodes.Usage, $"{option} must be a time (2026-11-30T12:00:00Z), Unix seconds, or an age such as 90m, 24h or 7d; not \"{text}\".");
    }

    private static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    private static string Bytes(long n) => n switch
    {
        < 1024 => $"{n} B",
        < 1024 * 1024 => $"{n / 1024.0:0.#} KiB",
        < 1024L * 1024 * 1024 => $"{n / (1024.0 * 1024):0.#} MiB",
        _ => $"{n / (1024.0 * 1024 * 1024):0.##} GiB",
    };
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower)]
[System.Text.Json.Serialization.JsonSerializable(typeof(CostEstimate))]
internal sealed partial class UsageCliJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
