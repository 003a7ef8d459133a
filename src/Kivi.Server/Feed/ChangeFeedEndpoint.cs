using Microsoft.AspNetCore.Mvc;
using Kivi.Protocol;
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
        api.MapGet("/kivi/changes", StreamAsync).WithMetadata(KvOperation.Kivi("change feed"));

    /// <summary>The watch of one namespace: <c>GET …/namespaces/{id}/changes?prefix=&amp;after=</c>, for any token that may read it.</summary>
    public static void MapWatch(RouteGroupBuilder namespaces) =>
        namespaces.MapGet("/{namespace_id}/changes", WatchAsync).WithMetadata(KvOperation.Kivi("watch"));

    private static Task StreamAsync(HttpContext context, KvService kv, [FromServices] IKvEngine engine, InlinedValues inlined, IOptions<KiviOptions> options, IHostApplicationLifetime lifetime)
    {
        var caller = context.Caller();
        if (!(caller.IsRoot || caller.CanReplicate(caller.AccountId!))) throw AccessErrors.Forbidden();
        return RunAsync(context, kv, engine, inlined, options.Value, lifetime, change => caller.Reaches(change.AccountId, change.NamespaceId), namespaceId: null);
    }

    private static async Task WatchAsync(HttpContext context, KvService kv, [FromServices] IKvEngine engine, InlinedValues inlined, IOptions<KiviOptions> options, IHostApplicationLifetime lifetime,
        string account_id, string namespace_id)
    {
        var ns = await NamespaceEndpoints.ResolveAsync(context, kv, account_id, namespace_id, NamespaceAccess.Read);
        byte[] prefix = KeyName.PrefixToUtf8(Query.Utf8Text(context.Request, "prefix"), kv.Limits);
        await RunAsync(context, kv, engine, inlined, options.Value, lifetime,
            change => change.NamespaceId == ns.Id && (change.Key is null || change.Key.AsSpan().StartsWith(prefix)), ns.Id);
    }

    /// <summary>
    /// Streams the changes <paramref name="include"/> accepts, in version order, never past the durable
    /// head; as NDJSON, or as server-sent events when the reader accepts <c>text/event-stream</c> (which may
    /// resume with <c>Last-Event-ID</c>). A feed sends a heartbeat after changes it filtered out (other accounts', or namespaces its token does not list), so its
    /// reader's position keeps up; a watch ends after its namespace is dropped.
    /// </summary>
    private static async Task RunAsync(HttpContext context, KvService kv, IKvEngine engine, InlinedValues inlined, KiviOptions options, IHostApplicationLifetime lifetime,
        Func<ChangeRecord, bool> include, string? namespaceId)
    {
        var q = context.Request.Query;
        var (sse, requested, resume) = ParseReader(context);
        long after = requested ?? engine.DurableHeadVersion;
        var lineage = engine.Lineage!;
        var heartbeat = FeedLines.Heartbeat(q, options.FeedHeartbeat);
        using var stop = FeedLines.Start(context, lifetime, sse);
        var ct = stop.Token;
        var response = context.Response;
        try
        {
            long needed = resume.Needed(after);
            if (needed > engine.DurableHeadVersion)
            {
                // A reader ahead of this store: another origin over the same database may not have told this one
                // of its latest commits yet, so wait a moment; a store that stays behind is an older copy.
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                wait.CancelAfter(ResumeWait);
                try { await engine.WaitForDurableAsync(needed - 1, wait.Token); }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested) { }
            }
            long oldest = await engine.OldestChangeAsync(ct);
            bool trimmed = after + 1 < oldest && after < engine.DurableHeadVersion;
            if (trimmed || (requested is not null && !CanResume(lineage, resume, after, engine.DurableHeadVersion)))
            {
                // The log was trimmed past where this reader stands, or its position belongs to another store or
                // to a history this one lost: it must drop what it holds and start at the head.
                long head = engine.DurableHeadVersion;
                await FeedLines.WriteAsync(response, FeedEvent.ResetTo(head, lineage), sse, ct);
                after = head;
            }
            await FeedLines.WriteAsync(response, FeedEvent.Heartbeat(engine.DurableHeadVersion, lineage), sse, ct);
            while (!ct.IsCancellationRequested)
            {
                long durable = engine.DurableHeadVersion;
                bool skipped = false;
                while (after < durable)
                {
                    var page = await engine.ReadChangesAsync(after, PageSize, ct);
                    if (page.Count == 0) break;
                    foreach (var change in page)
                    {
                        if (change.Version > durable) break; // committed but not yet on disk: not published
                        if (include(change))
                        {
                            await WriteChangeAsync(response, kv, engine, inlined, change, sse, ct);
                            if (change.Kind == ChangeKind.NamespaceDropped && change.NamespaceId == namespaceId) return;
                        }
                        else skipped = true;
                        after = change.Version;
                    }
                    if (page[^1].Version > durable) break;
                }
                after = Math.Max(after, durable);
                if (skipped) await FeedLines.AppendAsync(response, FeedEvent.Heartbeat(after), sse, ct);
                await FeedLines.SendAsync(response, ct);
                var more = engine.WaitForDurableAsync(after, ct);
                // The position everything was sent up to, not the head now: a commit may have landed since, unsent, and a
                // watcher resumes from a heartbeat's head.
                if (await Task.WhenAny(more, Task.Delay(heartbeat, ct)) != more)
                    await FeedLines.WriteAsync(response, FeedEvent.Heartbeat(after), sse, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // the reader went away, or the server is stopping; the reader resumes from its last version
        }
    }

    private static async Task WriteChangeAsync(HttpResponse response, KvService kv, IKvEngine engine, InlinedValues inlined, ChangeRecord change, bool sse, CancellationToken ct)
    {
        byte[]? value = null;
        string? metadata = null;
        if (change.Kind == ChangeKind.Put)
        {
            if (inlined.Find(change.Version) is { } known) (value, metadata) = (known.Value, known.Metadata);
            else
            {
                if (await engine.FindNamespaceAsync(change.NamespaceId, ct) is { } ns)
                {
                    // Inline the value only while this change is still the entry's current one; a later change follows anyway.
                    // From the store itself, not a single node's cache: the feed must not fill it with every key written.
                    await using var current = (await engine.GetAsync(ns, change.Key!, new ReadOptions(kv.NowSeconds), ct)).Value;
                    if (current is { Stream: null } && current.Version == change.Version && current.Length <= InlineLimit)
                        (value, metadata) = (current.Inline.ToArray(), current.Metadata);
                }
                inlined.Remember(new InlinedValues.Entry(change.Version, value, metadata));
            }
        }
        await FeedLines.AppendAsync(response, FeedEvent.Change(change.Kind, change.Version, engine.DurableHeadVersion, change.NamespaceId, change.Key,
            change.Expiration, value, metadata, change.AccountId), sse, ct);
    }

    /// <summary>How long a reader ahead of this origin's head waits for it before it is told to reset.</summary>
    internal static readonly TimeSpan ResumeWait = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Where a reader resumes (<see cref="Kivi.Caching.FeedPosition"/> on the wire): <c>after</c>; the <c>store</c> and
    /// <c>epoch</c> it is from; and <c>held</c> with <c>held_epoch</c>, the newest answer it holds from outside the feed.
    /// </summary>
    internal readonly record struct Resume(long? After, string? Store, long? Epoch, Kivi.Protocol.EpochPosition? Held)
    {
        /// <summary>The newest version the reader stands on: its position, or what it holds past it.</summary>
        public long Needed(long fallback) => Math.Max(After ?? fallback, Held?.Version ?? 0);
    }

    /// <summary>How a reader asked: server-sent events or NDJSON, the version it resumes after (<c>after</c>, or an event stream's <c>Last-Event-ID</c>), and the rest of <see cref="Resume"/>.</summary>
    internal static (bool Sse, long? Requested, Resume Resume) ParseReader(HttpContext context)
    {
        bool sse = context.Request.Headers.Accept.ToString().Contains("text/event-stream", StringComparison.OrdinalIgnoreCase);
        string? lastEventId = sse ? context.Request.Headers["Last-Event-ID"].ToString() : null;
        var resume = ParseResume(context.Request.Query);
        return (sse, resume.After ?? ParseWholeNumber(string.IsNullOrEmpty(lastEventId) ? null : lastEventId, "Last-Event-ID"), resume);
    }

    internal static Resume ParseResume(IQueryCollection q)
    {
        long? held = ParseWholeNumber(Query.Text(q, "held"), "held"), heldEpoch = ParseWholeNumber(Query.Text(q, "held_epoch"), "held_epoch", signed: true);
        if (held.HasValue != heldEpoch.HasValue)
            throw KvErrors.InvalidRequest("held and held_epoch go together: the version of the newest answer held from outside the feed, and the epoch it came from.");
        return new(ParseWholeNumber(Query.Text(q, "after"), "after"), Query.Text(q, "store"), ParseWholeNumber(Query.Text(q, "epoch"), "epoch", signed: true),
            held is { } h ? new(heldEpoch!.Value, h) : null);
    }

    /// <summary>
    /// Whether a reader at <paramref name="after"/> can continue here: never past the head, and when it says
    /// which store and epoch its position is from, only in the same store along the same history; and what it
    /// holds from outside the feed must be in that history too (a store restored from an older copy may still
    /// have the reader's position but not what the reader read or wrote past it).
    /// </summary>
    internal static bool CanResume(Kivi.Protocol.StoreLineage? lineage, Resume resume, long after, long head)
    {
        if (after > head) return false;
        if (lineage is null || resume.Store is null) return true;
        if (resume.Store != lineage.StoreId) return false;
        if (resume.Epoch is { } e && !lineage.Continues(e, after, head)) return false;
        return resume.Held is not { } held || lineage.Continues(held.Epoch, held.Version, head);
    }

    /// <summary>Values up to this size travel in the feed, so hot keys are refreshed in place at the edges.</summary>
    private const int InlineLimit = 64 * 1024;

    /// <summary>A whole-number parameter (at least 0 unless <paramref name="signed"/>), or null when absent.</summary>
    internal static long? ParseWholeNumber(string? text, string name, bool signed = false)
    {
        if (string.IsNullOrEmpty(text)) return null;
        if (!long.TryParse(text, signed ? NumberStyles.AllowLeadingSign : NumberStyles.None, CultureInfo.InvariantCulture, out long v))
            throw KvErrors.InvalidRequest($"{name} must be a whole number{(signed ? "" : " of at least 0")}, not \"{text}\".");
        return v;
    }
}
