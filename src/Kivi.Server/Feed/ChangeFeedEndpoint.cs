using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Kivi.Caching;
using Kivi.Core;
using Kivi.Core.Access;
using Kivi.Core.Storage;
using Kivi.Server.Rest;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Kivi.Server.Feed;

/// <summary>
/// The origin's change feed, Kivi's addition: <c>GET /client/v4/kivi/changes?after=N</c> streams one JSON
/// line per change in version order, never past the durable head, with small values inline, heartbeats
/// carrying the head, and an explicit reset when the log no longer reaches back to <c>after</c>.
/// </summary>
internal static class ChangeFeedEndpoint
{
    private const int PageSize = 512;

    public static void Map(RouteGroupBuilder api) =>
        api.MapGet("/kivi/changes", StreamAsync).WithMetadata(new KvOperation("change feed"));

    private static async Task StreamAsync(HttpContext context, KvService kv, IKvMaintenance maintenance, IOptions<KiviOptions> options, IHostApplicationLifetime lifetime)
    {
        var caller = context.Caller();
        if (!(caller.IsRoot || caller.CanReplicate(caller.AccountId!))) throw AccessErrors.Forbidden();
        var engine = kv.Engine;
        var q = context.Request.Query;
        long after = ParseVersion(Query.Text(q, "after"), "after") ?? engine.DurableHeadVersion;
        var heartbeat = FeedLines.Heartbeat(q, options.Value.FeedHeartbeat);
        using var stop = FeedLines.Start(context, lifetime);
        var ct = stop.Token;
        var response = context.Response;
        try
        {
            long oldest = await maintenance.OldestChangeAsync(ct);
            if (after + 1 < oldest && after < engine.DurableHeadVersion)
            {
                // The log was trimmed past where this reader stands: it must drop what it holds and start at the head.
                long head = engine.DurableHeadVersion;
                await FeedLines.WriteAsync(response, FeedEvent.ResetTo(head), ct);
                after = head;
            }
            await FeedLines.WriteAsync(response, FeedEvent.Heartbeat(engine.DurableHeadVersion), ct);
            while (!ct.IsCancellationRequested)
            {
                long durable = engine.DurableHeadVersion;
                while (after < durable)
                {
                    var page = await engine.ReadChangesAsync(after, PageSize, ct);
                    if (page.Count == 0) break;
                    foreach (var change in page)
                    {
                        if (change.Version > durable) break; // committed but not yet on disk: not published
                        if (caller.CanSeeAccount(change.AccountId)) await WriteChangeAsync(response, kv, change, ct);
                        after = change.Version;
                    }
                    if (page[^1].Version > durable) break;
                }
                after = Math.Max(after, durable);
                await response.Body.FlushAsync(ct);
                var more = engine.WaitForDurableAsync(after, ct);
                if (await Task.WhenAny(more, Task.Delay(heartbeat, ct)) != more)
                    await FeedLines.WriteAsync(response, FeedEvent.Heartbeat(engine.DurableHeadVersion), ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // the reader went away, or the server is stopping; the reader resumes from its last version
        }
    }

    private static async Task WriteChangeAsync(HttpResponse response, KvService kv, ChangeRecord change, CancellationToken ct)
    {
        ReadOnlyMemory<byte>? value = null;
        string? metadata = null;
        if (change.Kind == ChangeKind.Put && await kv.Engine.FindNamespaceAsync(change.NamespaceId, ct) is { } ns)
        {
            // Inline the value only while this change is still the entry's current one; a later change follows anyway.
            // From the store itself, not a single node's cache: the feed must not fill it with every key written.
            var store = kv.Engine is Local.CachingEngine cached ? cached.Store : kv.Engine;
            await using var current = await store.GetAsync(ns, change.Key!, kv.NowSeconds, ct);
            if (current is { Stream: null } && current.Version == change.Version && current.Length <= InlineLimit)
            {
                value = current.Inline;
                metadata = current.Metadata;
            }
        }
        var kind = change.Kind switch
        {
            ChangeKind.Put => FeedEventKind.Put,
            ChangeKind.Delete => FeedEventKind.Delete,
            ChangeKind.Expire => FeedEventKind.Expire,
            _ => FeedEventKind.NamespaceDropped,
        };
        await FeedLines.WriteAsync(response, new FeedEvent(kind, change.Version, kv.Engine.DurableHeadVersion, change.NamespaceId, change.Key,
            change.Expiration, value?.ToArray(), metadata, change.AccountId), ct);
    }

    /// <summary>Values up to this size travel in the feed, so hot keys are refreshed in place at the edges.</summary>
    private const int InlineLimit = 64 * 1024;

    internal static long? ParseVersion(string? text, string name)
    {
        if (string.IsNullOrEmpty(text)) return null;
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long v))
            throw KvErrors.InvalidRequest($"{name} must be a whole number of at least 0, not \"{text}\".");
        return v;
    }
}
