using Microsoft.AspNetCore.Mvc;
using Kivi.Protocol;
using System.Buffers;
using System.Text;
using System.Text.Unicode;
using System.Text.Encodings.Web;
using System.Text.Json;
using Kivi.Core;
using Kivi.Core.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Kivi.Server.Rest;

/// <summary>
/// Kivi's export of one namespace and snapshot of the whole store: NDJSON streamed from one consistent read
/// of the engine, taken while it keeps serving. Each entry line is an item of Cloudflare's bulk write
/// (<c>{key, value, base64?, expiration?, metadata?}</c>), so the lines feed <c>PUT …/bulk</c> unchanged.
/// </summary>
internal static class ExportEndpoints
{
    private static readonly JsonWriterOptions LineOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private const int FlushBytes = 256 * 1024;

    public static void MapExport(RouteGroupBuilder namespaces) =>
        namespaces.MapGet("/{namespace_id}/export", ExportAsync).WithMetadata(KvOperation.Kivi("export namespace"));

    public static void MapSnapshot(RouteGroupBuilder api) =>
        api.MapGet("/kivi/snapshot", SnapshotAsync).WithMetadata(KvOperation.Kivi("snapshot store"));

    /// <summary>The namespace's live entries in key order, after the key <c>after</c> when given (to resume).</summary>
    private static async Task ExportAsync(HttpContext context, KvService kv, [FromServices] IKvSnapshots snapshots, TimeProvider time, string account_id, string namespace_id)
    {
        var ns = await NamespaceEndpoints.ResolveAsync(context, kv, account_id, namespace_id, NamespaceAccess.Read);
        byte[]? after = Query.Text(context.Request.Query, "after") is { } key ? KeyName.ToUtf8(key, kv.Limits) : null;
        await using var snapshot = await snapshots.OpenSnapshotAsync(context.RequestAborted);
        // The namespace may have been dropped between the check and the snapshot: then it exports nothing.
        var stored = (await snapshot.ListNamespacesAsync(account_id, context.RequestAborted)).FirstOrDefault(n => n.Id == ns.Id);
        var response = context.Response;
        response.ContentType = "application/x-ndjson";
        response.Headers.CacheControl = "no-store";
        ValueEndpoints.SetVersion(response, snapshot.Version);
        using var lines = new LineWriter(response);
        byte[] prefix = KeyName.PrefixToUtf8(Query.Utf8Text(context.Request, "prefix"), kv.Limits); // only keys under it (byte order: they are together)
        if (stored is not null)
            await foreach (var entry in snapshot.ReadEntriesAsync(stored, after, time.GetUtcNow().ToUnixTimeSeconds(), context.RequestAborted))
            {
                int order = entry.Key.AsSpan(0, Math.Min(entry.Key.Length, prefix.Length)).SequenceCompareTo(prefix);
                if (order < 0 || (order == 0 && entry.Key.Length < prefix.Length)) continue; // before the prefix ("ab" < "abc")
                if (order > 0) break; // past every key under it
                await lines.WriteAsync(w => WriteEntry(w, entry), context.RequestAborted);
            }
        await response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    /// <summary>
    /// Every account, namespace and live entry, from one read: a header line, then each account, each of its
    /// namespaces followed by that namespace's entries, then an end line with the counts, so a cut-off file
    /// is never mistaken for a whole one. Only the admin token may take one.
    /// </summary>
    private static async Task SnapshotAsync(HttpContext context, KvService kv, [FromServices] IKvSnapshots snapshots, TimeProvider time)
    {
        context.Require(c => c.CanCreateAccounts);
        await using var snapshot = await snapshots.OpenSnapshotAsync(context.RequestAborted);
        var response = context.Response;
        response.ContentType = "application/x-ndjson";
        response.Headers.CacheControl = "no-store";
        ValueEndpoints.SetVersion(response, snapshot.Version);
        long now = time.GetUtcNow().ToUnixTimeSeconds();
        using var lines = new LineWriter(response);
        await lines.WriteAsync(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("kivi_snapshot", 1);
            w.WriteNumber("version", snapshot.Version);
            w.WriteString("taken", time.GetUtcNow());
            w.WriteEndObject();
        }, context.RequestAborted);
        long accounts = 0, namespaces = 0, keys = 0;
        foreach (var account in await snapshot.ListAccountsAsync(context.RequestAborted))
        {
            accounts++;
            await lines.WriteAsync(w =>
            {
                w.WriteStartObject();
                w.WriteStartObject("account");
                w.WriteString("id", account.Id);
                w.WriteString("name", account.Name);
                w.WriteEndObject();
                w.WriteEndObject();
            }, context.RequestAborted);
            foreach (var ns in await snapshot.ListNamespacesAsync(account.Id, context.RequestAborted))
            {
                namespaces++;
                await lines.WriteAsync(w =>
                {
                    w.WriteStartObject();
                    w.WriteStartObject("namespace");
                    w.WriteString("id", ns.Id);
                    w.WriteString("title", ns.Title);
                    if (ns.Jurisdiction is { } jurisdiction) w.WriteString("jurisdiction", jurisdiction);
                    w.WriteString("account_id", ns.AccountId);
                    w.WriteEndObject();
                    w.WriteEndObject();
                }, context.RequestAborted);
                await foreach (var entry in snapshot.ReadEntriesAsync(ns, null, now, context.RequestAborted))
                {
                    keys++;
                    await lines.WriteAsync(w => WriteEntry(w, entry), context.RequestAborted);
                }
            }
        }
        await lines.WriteAsync(w =>
        {
            w.WriteStartObject();
            w.WriteStartObject("end");
            w.WriteNumber("accounts", accounts);
            w.WriteNumber("namespaces", namespaces);
            w.WriteNumber("keys", keys);
            w.WriteEndObject();
            w.WriteEndObject();
        }, context.RequestAborted);
        await response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    /// <summary>An entry as a bulk-write item: text values as strings, anything not valid UTF-8 as base64.</summary>
    private static void WriteEntry(Utf8JsonWriter w, StoredEntry entry)
    {
        w.WriteStartObject();
        w.WriteString("key", entry.Key);
        if (Utf8.IsValid(entry.Value)) w.WriteString("value", entry.Value);
        else
        {
            w.WriteBase64String("value", entry.Value);
            w.WriteBoolean("base64", true);
        }
        if (entry.Expiration is { } expiration) w.WriteNumber("expiration", expiration);
        if (entry.Metadata is { } metadata)
        {
            w.WritePropertyName("metadata");
            w.WriteRawValue(metadata, skipInputValidation: true);
        }
        w.WriteEndObject();
    }

    /// <summary>One JSON value per line into the response, flushed in large chunks.</summary>
    private sealed class LineWriter(HttpResponse response) : IDisposable
    {
        private readonly Utf8JsonWriter _json = new(response.BodyWriter, LineOptions);

        public async ValueTask WriteAsync(Action<Utf8JsonWriter> write, CancellationToken cancellationToken)
        {
            write(_json);
            _json.Flush();
            _json.Reset();
            response.BodyWriter.Write("\n"u8);
            if (response.BodyWriter.UnflushedBytes >= FlushBytes) await response.BodyWriter.FlushAsync(cancellationToken);
        }

        public void Dispose() => _json.Dispose();
    }
}
