using System.Globalization;
using System.Text.Json;
using Kivi.Core;
using Kivi.Core.Access;
using Kivi.Core.Storage;
using Kivi.Protocol;
using Kivi.Server.Usage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Kivi.Server.Rest;

/// <summary>
/// Usage by operation (Kivi's additions): the account's usage by hour or day for its admins, and the endpoint edges
/// report their reads and lists to. A store answers both; an edge forwards both upstream.
/// </summary>
internal static class UsageEndpoints
{
    private const int MaxReportBody = 4 * 1024 * 1024, MaxReportRows = 10_000, MaxPeriods = 24 * 366;

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet(UsageAnswer.Route, GetAsync).WithMetadata(KvOperation.Kivi("usage"));
        // Delegates, not RequestDelegates, so that the OpenAPI document describes them.
        api.MapPost(UsageReport.Route, (Func<HttpContext, Task>)ReportAsync).WithMetadata(KvOperation.Kivi("usage report"));
        api.MapGet(QuotaState.Route, (Func<HttpContext, Task>)QuotasAsync).WithMetadata(KvOperation.Kivi("quota state"));
        api.MapPost(EdgeCheckIn.Route, (Func<HttpContext, Task>)CheckInAsync).WithMetadata(KvOperation.Kivi("edge check-in"));
        api.MapGet(EdgeCheckIn.ListRoute, (Func<HttpContext, Task>)EdgesAsync).WithMetadata(KvOperation.Kivi("list edges"));
    }

    private static async Task GetAsync(HttpContext context, KvService kv, UsageReporter reporter, TimeProvider time, string account_id)
    {
        await NamespaceEndpoints.CheckAccountAsync(context, kv, account_id);
        context.Require(c => c.IsAdminOf(account_id));
        var q = context.Request.Query;
        string step = Query.Text(q, "step") ?? "hour";
        long stepSeconds = step switch
        {
            "hour" => 3600,
            "day" => 86400,
            _ => throw KvErrors.InvalidRequest($"step must be hour or day, not \"{step}\"."),
        };
        var until = Query.Time(q, "until") ?? time.GetUtcNow();
        var since = Query.Time(q, "since") ?? until.AddSeconds(-(step == "hour" ? 24 * 3600 : 30 * 86400));
        long from = Floor(since.ToUnixTimeSeconds(), stepSeconds), to = Ceiling(until.ToUnixTimeSeconds(), stepSeconds);
        if (to <= from) throw KvErrors.InvalidRequest("since must be before until.");
        if ((to - from) / stepSeconds > MaxPeriods) throw KvErrors.InvalidRequest($"The range holds more than {MaxPeriods} periods of a {step}; ask for a shorter range or step=day.");
        string? namespaceId = Query.Text(q, "namespace_id");
        var caller = context.Caller();
        if (namespaceId is not null)
        {
            var ns = await kv.GetNamespaceAsync(account_id, namespaceId, context.RequestAborted);
            context.Require(c => c.Reaches(ns));
        }

        await reporter.FlushAsync(context.RequestAborted); // this node's own reads so far; edges report every --usage-interval
        var usage = context.RequestServices.GetRequiredService<IKvUsage>();
        var hours = await usage.ReadUsageAsync(account_id, namespaceId, from, to, context.RequestAborted);
        var storage = (await usage.ReadStorageAsync(account_id, context.RequestAborted))
            .Where(s => (namespaceId is null || s.NamespaceId == namespaceId) && caller.Reaches(account_id, s.NamespaceId))
            .Select(s => new StorageDatum(s.NamespaceId, s.Keys, s.Bytes)).ToArray();
        var data = hours.Where(h => caller.Reaches(account_id, h.NamespaceId))
            .GroupBy(h => (Period: Floor(h.Hour, stepSeconds), h.NamespaceId))
            .OrderBy(g => g.Key.Period).ThenBy(g => g.Key.NamespaceId, StringComparer.Ordinal)
            .Select(g => new UsageDatum(new UsageDimensions(Iso(g.Key.Period), g.Key.NamespaceId), Sum(g)))
            .ToArray();
        var totals = new UsageMetrics(data.Sum(d => d.Metrics.Reads), data.Sum(d => d.Metrics.Writes), data.Sum(d => d.Metrics.Deletes),
            data.Sum(d => d.Metrics.Lists), data.Sum(d => d.Metrics.ReadBytes), data.Sum(d => d.Metrics.WriteBytes),
            storage.Sum(s => s.Keys), storage.Sum(s => s.Bytes));
        var answer = new UsageAnswer(data, totals, Iso(from), Iso(to), step, storage);
        await Envelope.OkAsync(context, w => JsonSerializer.Serialize(w, answer, KiviProtocolJsonContext.Default.UsageAnswer));
    }

    /// <summary>A period's operations summed; its stored keys and bytes as its last hour that recorded them left them.</summary>
    private static UsageMetrics Sum(IEnumerable<UsageRecord> hours)
    {
        long reads = 0, writes = 0, deletes = 0, lists = 0, readBytes = 0, writeBytes = 0;
        long? keys = null, bytes = null;
        foreach (var h in hours.OrderBy(h => h.Hour))
        {
            reads += h.Reads; writes += h.Writes; deletes += h.Deletes; lists += h.Lists; readBytes += h.ReadBytes; writeBytes += h.WriteBytes;
            if (h.Keys is not null) (keys, bytes) = (h.Keys, h.Bytes);
        }
        return new UsageMetrics(reads, writes, deletes, lists, readBytes, writeBytes, keys, bytes);
    }

    private static async Task ReportAsync(HttpContext context)
    {
        var report = await RequestBody.ReadJsonAsync(context, MaxReportBody, _ => KvErrors.InvalidRequest($"A usage report must be at most {MaxReportBody} bytes."), KiviProtocolJsonContext.Default.UsageReport);
        if (string.IsNullOrEmpty(report.Reporter) || report.Reporter.Length > 256) throw KvErrors.InvalidRequest("A usage report must name its reporter (1 to 256 characters).");
        if (report.Sequence < 1) throw KvErrors.InvalidRequest("A usage report's sequence must be at least 1.");
        if (report.Rows is null || report.Rows.Count > MaxReportRows) throw KvErrors.InvalidRequest($"A usage report must carry rows, at most {MaxReportRows}.");
        foreach (var row in report.Rows)
        {
            if (row is null || string.IsNullOrEmpty(row.AccountId) || string.IsNullOrEmpty(row.NamespaceId) || row.Hour % 3600 != 0
                || row.Reads < 0 || row.Lists < 0 || row.ReadBytes < 0)
                throw KvErrors.InvalidRequest("Each usage row needs account_id, namespace_id, an hour (Unix seconds at the start of a UTC hour) and counts of at least 0.");
            if (!context.Caller().CanReplicate(row.AccountId)) throw AccessErrors.Forbidden();
        }
        var applied = await context.RequestServices.GetRequiredService<IKvWrites>().WriteAsync(new RecordUsage(report)); // a store's: an edge forwards this
        if (applied.Changed > 0) context.RequestServices.GetRequiredService<Quotas.StoreQuotas>().Reported(report.Rows);
        await Envelope.OkEmptyAsync(context);
    }

    /// <summary>The quotas used up, for edges to refuse reads and lists of themselves (replication or admin tokens; each sees its accounts').</summary>
    private static async Task QuotasAsync(HttpContext context)
    {
        var caller = context.Caller();
        context.Require(c => c.IsRoot || c.CanReplicate(c.AccountId!));
        var exhausted = context.RequestServices.GetRequiredService<Quotas.StoreQuotas>().Exhausted(caller.CanReplicate).ToArray();
        await Envelope.OkAsync(context, w => JsonSerializer.Serialize(w, new QuotaState(exhausted), KiviProtocolJsonContext.Default.QuotaState));
    }

    /// <summary>An edge checks in (a replication or admin token): kept for the cluster page, answered with the quotas used up.</summary>
    private static async Task CheckInAsync(HttpContext context)
    {
        context.Require(c => c.IsRoot || c.CanReplicate(c.AccountId!));
        var status = await RequestBody.ReadJsonAsync(context, 64 * 1024, _ => KvErrors.InvalidRequest("An edge check-in must be at most 65536 bytes."), KiviProtocolJsonContext.Default.EdgeCheckIn);
        if (string.IsNullOrEmpty(status.Name) || status.Name.Length > 256) throw KvErrors.InvalidRequest("An edge check-in must name the edge (1 to 256 characters).");
        context.RequestServices.GetRequiredService<Usage.EdgeRegistry>().Seen(status);
        await QuotasAsync(context);
    }

    /// <summary>The edges that checked in with this store, for an admin.</summary>
    private static async Task EdgesAsync(HttpContext context)
    {
        context.Require(c => c.IsRoot || c.Permission == Kivi.Core.Access.TokenPermission.AccountAdmin);
        var edges = context.RequestServices.GetRequiredService<Usage.EdgeRegistry>().All();
        await Envelope.OkAsync(context, w => JsonSerializer.Serialize(w, edges, KiviProtocolJsonContext.Default.ListEdgeSeen));
    }

    private static long Floor(long seconds, long step) => seconds - (((seconds % step) + step) % step);

    private static long Ceiling(long seconds, long step) => Floor(seconds + step - 1, step);

    private static string Iso(long unixSeconds) => DateTimeOffset.FromUnixTimeSeconds(unixSeconds).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
