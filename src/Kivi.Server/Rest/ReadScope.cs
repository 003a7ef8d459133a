using System.Globalization;
using Kivi.Core;
using Kivi.Protocol;
using Microsoft.AspNetCore.Http;

namespace Kivi.Server.Rest;

/// <summary>
/// What a read asks of the cache below the storage waist (its cacheTtl) and what the cache tells the
/// endpoint back (the position the answer reflects, and whether it was served stale), carried alongside
/// the call so the engine interface stays the same for a store and for an edge.
/// </summary>
internal sealed class ReadScope : IDisposable
{
    private static readonly AsyncLocal<ReadScope?> Ambient = new();
    private readonly long _head;
    private readonly string? _storeId;

    private ReadScope(TimeSpan? cacheTtl, long head, bool fromEdge, bool strong, string? storeId)
    {
        _storeId = storeId;
        CacheTtl = cacheTtl;
        _head = head;
        FromEdge = fromEdge;
        Strong = strong;
    }

    /// <summary>
    /// The reader asked for <c>consistency=strong</c> (Kivi's addition): no cache answers it; a store reads
    /// itself, an edge forwards the request to its upstream (see <see cref="AsksStrong"/>).
    /// </summary>
    public bool Strong { get; }

    /// <summary>Whether a request asks for a strong read; any value but "strong" and "eventual" is refused by <see cref="Begin"/>.</summary>
    public static bool AsksStrong(HttpRequest request) =>
        request.QueryString.HasValue && string.Equals(request.Query["consistency"], "strong", StringComparison.Ordinal);

    /// <summary>
    /// The reader is an edge filling its cache (a replication token): a store answers it from the store
    /// itself, at the position it reports, never from its own in-process cache.
    /// </summary>
    public bool FromEdge { get; }

    public static ReadScope? Current => Ambient.Value;

    /// <summary>The freshness the reader asked for; null for the default.</summary>
    public TimeSpan? CacheTtl { get; }

    /// <summary>The lowest position among the answers read (a bulk read reflects its oldest part).</summary>
    public long? AsOf { get; private set; }

    /// <summary>The largest staleness among answers served past their cacheTtl.</summary>
    public TimeSpan? Stale { get; private set; }

    /// <summary>
    /// Starts a read. The head is taken before reading, so a miss reports a position no later than the
    /// state it saw. <paramref name="cacheTtl"/> is the raw <c>cache_ttl</c> (validated, ≥ the minimum).
    /// </summary>
    public static ReadScope Begin(HttpContext context, KvService kv, string? cacheTtl)
    {
        TimeSpan? ttl = cacheTtl is null ? null : TimeSpan.FromSeconds(Math.Min(Expiration.ParseCacheTtl(cacheTtl, kv.Limits), 365L * 86400));
        bool fromEdge = context.Features.Get<Kivi.Core.Access.Caller>() is { Permission: Kivi.Core.Access.TokenPermission.Replication };
        string? consistency = Query.Text(context.Request.Query, "consistency");
        if (consistency is not (null or "strong" or "eventual"))
            throw KvErrors.InvalidRequest($"Invalid consistency of \"{consistency}\": use \"strong\" to read the origin past every cache, or \"eventual\" (the default).");
        var scope = new ReadScope(ttl, kv.Engine.HeadVersion, fromEdge, consistency == "strong", fromEdge ? kv.Engine.Lineage?.StoreId : null);
        Ambient.Value = scope;
        return scope;
    }

    /// <summary>The store's head when the read began.</summary>
    public long Head => _head;

    /// <summary>
    /// For an edge filling its cache: waits until what was read is on disk, so an edge never caches a
    /// version a crash could take back (and later hand to a different write).
    /// </summary>
    public Task SettleAsync(HttpContext context, KvService kv, long? version)
    {
        if (!FromEdge) return Task.CompletedTask;
        long needed = Math.Max(_head, version ?? 0);
        return needed <= kv.Engine.DurableHeadVersion ? Task.CompletedTask : kv.Engine.WaitForDurableAsync(needed - 1, context.RequestAborted);
    }

    public void Observe(long asOf, TimeSpan? stale)
    {
        AsOf = AsOf is { } seen ? Math.Min(seen, asOf) : asOf;
        if (stale is { } s && (Stale is null || s > Stale)) Stale = s;
    }

    /// <summary>
    /// Kivi-Head on every read; Kivi-Stale when an edge answered past cacheTtl because its upstream failed;
    /// Kivi-Store to an edge filling its cache, so it notices an upstream that became another store.
    /// </summary>
    public void WriteHeaders(HttpResponse response)
    {
        if (_storeId is not null) response.Headers[KiviHeaders.Store] = _storeId;
        response.Headers[KiviHeaders.Head] = (AsOf ?? _head).ToString(CultureInfo.InvariantCulture);
        if (Stale is { } stale) response.Headers[KiviHeaders.Stale] = ((long)Math.Ceiling(stale.TotalSeconds)).ToString(CultureInfo.InvariantCulture); // rounded up: a stale answer never says 0
    }

    public void Dispose() => Ambient.Value = null;
}
