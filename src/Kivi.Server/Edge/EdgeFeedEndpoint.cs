using Kivi.Protocol;
using Kivi.Caching;
using Kivi.Core;
using Kivi.Core.Access;
using Kivi.Server.Feed;
using Kivi.Server.Rest;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace Kivi.Server.Edge;

/// <summary>
/// An edge's change feed, for the edges below it (tiers): the lines it applied, from its relay window, in
/// the origin's format. It claims to be current (heartbeats, heads) only while its own feed is, so a
/// lower tier never believes it is fresher than the tier it follows.
/// </summary>
internal static class EdgeFeedEndpoint
{
    public static void Map(RouteGroupBuilder api) =>
        api.MapGet("/kivi/changes", StreamAsync).WithMetadata(new KvOperation("change feed", AtEdge.Serve) { Addition = true });

    /// <summary>
    /// A namespace's watch (<c>GET …/namespaces/{id}/changes</c>), served from this edge's own feed: however many
    /// watchers an edge has, its upstream serves it one feed. A watcher this edge cannot serve from what it keeps
    /// (resuming before its relay window or past its position, or before the edge has reached its feed) is forwarded
    /// upstream. One that can be served is, even while the edge's own feed is down: it waits, as at an origin, and
    /// carries on when the feed does (sending it upstream then would only move it to a node that may be down too).
    /// </summary>
    public static void MapWatch(RouteGroupBuilder namespaces) =>
        namespaces.MapGet("/{namespace_id}/changes", WatchAsync).WithMetadata(new KvOperation("watch", AtEdge.Serve) { Addition = true });

    private static async Task WatchAsync(HttpContext context, KvService kv, FeedRelay relay, EdgeProxy proxy, IHostApplicationLifetime lifetime,
        string account_id, string namespace_id)
    {
        var ns = await NamespaceEndpoints.ResolveAsync(context, kv, account_id, namespace_id, NamespaceAccess.Read);
        byte[] prefix = KeyName.PrefixToUtf8(Query.Utf8Text(context.Request, "prefix"), kv.Limits);
        var (sse, requested, resume) = ChangeFeedEndpoint.ParseReader(context);
        var cache = relay.Cache;
        int resets = relay.ResetCount;
        long after = requested ?? cache.Position;
        if (cache.Lineage is null || !relay.Keeps(after)
            || requested is not null && !ChangeFeedEndpoint.CanResume(cache.Lineage, resume, after, cache.Position))
        {
            await proxy.ForwardAsync(context);
            return;
        }
        var heartbeat = FeedLines.Heartbeat(context.Request.Query, cache.Options.FeedHeartbeat);
        using var stop = FeedLines.Start(context, lifetime, sse);
        var ct = stop.Token;
        var response = context.Response;
        try
        {
            await FeedLines.WriteAsync(response, FeedEvent.Heartbeat(after, cache.Lineage), sse, ct);
            while (!ct.IsCancellationRequested)
            {
                var (lines, more) = relay.ReadAfter(after, ref resets);
                bool skipped = false;
                foreach (var line in lines)
                {
                    if (line.Is(ChangeKind.Reset))
                    {
                        // This edge dropped what it held: the watcher may have missed changes, as from an origin whose log was trimmed.
                        await FeedLines.AppendAsync(response, line, sse, ct);
                        after = line.Head;
                        continue;
                    }
                    if (line.NamespaceId == ns.Id && (line.Key is null || line.Key.AsSpan().StartsWith(prefix)))
                    {
                        await FeedLines.AppendAsync(response, line with { Head = Current(cache) ?? 0 }, sse, ct);
                        if (line.Kind == ChangeKind.NamespaceDropped) return; // the response's end sends it
                    }
                    else skipped = true;
                    after = line.Version;
                }
                if (skipped) await FeedLines.AppendAsync(response, FeedEvent.Heartbeat(after), sse, ct);
                if (lines.Count > 0)
                {
                    await FeedLines.SendAsync(response, ct);
                    continue;
                }
                // How far the watcher has been sent (not a claim about the upstream's head, so also while the edge's feed is down).
                if (await Task.WhenAny(more, Task.Delay(heartbeat, ct)) != more)
                    await FeedLines.WriteAsync(response, FeedEvent.Heartbeat(after), sse, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // the watcher went away, or the edge is stopping; it resumes from its last version
        }
    }

    private static async Task StreamAsync(HttpContext context, FeedRelay relay, IHostApplicationLifetime lifetime)
    {
        var caller = context.Caller();
        if (!(caller.IsRoot || caller.CanReplicate(caller.AccountId!))) throw AccessErrors.Forbidden();
        var cache = relay.Cache;
        var q = context.Request.Query;
        // The lineage is known from this edge's first feed line on; until then it cannot say what it relays.
        if (cache.Lineage is null)
            throw new Kivi.Protocol.KvException(503, Kivi.Protocol.KvErrorCode.UpstreamUnavailable, "This edge has not yet reached its upstream's change feed; try again shortly.");
        int resets = relay.ResetCount;
        var resume = ChangeFeedEndpoint.ParseResume(q);
        long after = resume.After ?? cache.Position;
        var heartbeat = FeedLines.Heartbeat(q, cache.Options.FeedHeartbeat);
        using var stop = FeedLines.Start(context, lifetime);
        var ct = stop.Token;
        var response = context.Response;
        try
        {
            // A tier below may hold answers this edge gave from its upstream's head, ahead of its own feed: give the feed a moment to get there.
            var until = DateTime.UtcNow + ChangeFeedEndpoint.ResumeWait;
            while (resume.Needed(after) > cache.Position && DateTime.UtcNow < until) await Task.Delay(20, ct);
            if (resume.After is not null && !ChangeFeedEndpoint.CanResume(cache.Lineage, resume, after, cache.Position))
            {
                await FeedLines.WriteAsync(response, FeedEvent.ResetTo(cache.Position, cache.Lineage), sse: false, ct);
                after = cache.Position;
            }
            if (Current(cache) is { } head) await FeedLines.WriteAsync(response, FeedEvent.Heartbeat(head, cache.Lineage), sse: false, ct);
            else await response.Body.FlushAsync(ct);
            while (!ct.IsCancellationRequested)
            {
                var (lines, more) = relay.ReadAfter(after, ref resets);
                foreach (var line in lines)
                {
                    if (line.Is(ChangeKind.Reset))
                    {
                        await FeedLines.AppendAsync(response, line, sse: false, ct);
                        after = line.Head;
                        continue;
                    }
                    if (caller.Reaches(line.AccountId ?? "", line.NamespaceId ?? ""))
                        await FeedLines.AppendAsync(response, line with { Head = Current(cache) ?? 0 }, sse: false, ct);
                    after = line.Version;
                }
                if (lines.Count > 0)
                {
                    await FeedLines.SendAsync(response, ct);
                    continue;
                }
                if (await Task.WhenAny(more, Task.Delay(heartbeat, ct)) != more && Current(cache) is { } now)
                    await FeedLines.WriteAsync(response, FeedEvent.Heartbeat(now, cache.Lineage), sse: false, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // the reader went away, or the edge is stopping; the reader resumes from its last version
        }
    }

    /// <summary>This edge's position, if its own feed is healthy and caught up recently; otherwise it claims nothing.</summary>
    private static long? Current(KvCache cache) => cache.IsCurrent ? cache.Position : null;
}
