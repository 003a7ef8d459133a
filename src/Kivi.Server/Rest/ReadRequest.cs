using System.Globalization;
using Kivi.Core;
using Kivi.Core.Access;
using Kivi.Core.Storage;
using Kivi.Protocol;
using Microsoft.AspNetCore.Http;

namespace Kivi.Server.Rest;

/// <summary>
/// A read as an endpoint sees it: the <see cref="ReadOptions"/> parsed from the request (<c>cache_ttl</c>,
/// <c>consistency</c>, and whether an edge filling its cache is asking), passed down explicitly; and what the
/// answer reflects (<see cref="KvRead{T}"/>), written back as headers.
/// </summary>
internal static class ReadRequest
{
    /// <summary>Whether a request asks for a strong read; any value but "strong" and "eventual" is refused by <see cref="Parse"/>.</summary>
    public static bool AsksStrong(HttpRequest request) =>
        request.QueryString.HasValue && string.Equals(request.Query["consistency"], "strong", StringComparison.Ordinal);

    /// <summary>
    /// The options of a read. <paramref name="cacheTtl"/> is the raw <c>cache_ttl</c> (checked: at least the minimum).
    /// A replication token is an edge filling its cache: a store answers it from the store itself.
    /// </summary>
    public static ReadOptions Parse(HttpContext context, KvLimits limits, string? cacheTtl)
    {
        TimeSpan? ttl = cacheTtl is null ? null : TimeSpan.FromSeconds(Math.Min(Expiration.ParseCacheTtl(cacheTtl, limits), 365L * 86400));
        string? consistency = Query.Text(context.Request.Query, "consistency");
        if (consistency is not (null or "strong" or "eventual"))
            throw KvErrors.InvalidRequest($"Invalid consistency of \"{consistency}\": use \"strong\" to read the origin past every cache, or \"eventual\" (the default).");
        return new ReadOptions(0)
        {
            CacheTtl = ttl,
            Strong = consistency == "strong",
            FromEdge = context.Features.Get<Caller>() is { Permission: TokenPermission.Replication },
        };
    }

    /// <summary>
    /// Finishes a read: for an edge filling its cache, waits until what was read is on disk (so an edge never caches
    /// a version a crash could take back, and later hand to a different write); then writes the headers.
    /// </summary>
    public static async Task AnswerAsync<T>(HttpContext context, KvService kv, ReadOptions options, KvRead<T> read, long? version = null)
    {
        if (options.FromEdge && context.RequestServices.GetService(typeof(IKvChangeLog)) is IKvChangeLog log)
        {
            long needed = Math.Max(read.AsOf, version ?? 0);
            if (needed > log.DurableHeadVersion) await log.WaitForDurableAsync(needed - 1, context.RequestAborted);
        }
        WriteHeaders(context.Response, read.AsOf, read.Stale, options.FromEdge ? kv.Reads.Lineage : null);
    }

    /// <summary>
    /// Kivi-Head on every read; Kivi-Stale when an edge answered past cacheTtl because its upstream failed;
    /// Kivi-Store and Kivi-Epoch to an edge filling its cache, so it notices an upstream that became another store,
    /// and can later be told when its upstream no longer has the history the answer came from.
    /// </summary>
    public static void WriteHeaders(HttpResponse response, long asOf, TimeSpan? stale, Kivi.Protocol.StoreLineage? lineage)
    {
        if (lineage is not null)
        {
            response.Headers[KiviHeaders.Store] = lineage.StoreId;
            response.Headers[KiviHeaders.Epoch] = lineage.CurrentEpoch.ToString(CultureInfo.InvariantCulture);
        }
        response.Headers[KiviHeaders.Head] = asOf.ToString(CultureInfo.InvariantCulture);
        if (stale is { } s) response.Headers[KiviHeaders.Stale] = ((long)Math.Ceiling(s.TotalSeconds)).ToString(CultureInfo.InvariantCulture); // rounded up: a stale answer never says 0
    }
}
