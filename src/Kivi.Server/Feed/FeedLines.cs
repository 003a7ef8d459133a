using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Kivi.Caching;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Kivi.Server.Feed;

/// <summary>Writes change-feed lines (NDJSON), the same from an origin and from an edge relaying to the tier below.</summary>
internal static class FeedLines
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The heartbeat interval a reader asked for (<c>heartbeat_ms</c>, 100 ms to 60 s), or the default.</summary>
    public static TimeSpan Heartbeat(IQueryCollection query, TimeSpan fallback) =>
        Rest.Query.Text(query, "heartbeat_ms") is { } ms ? TimeSpan.FromMilliseconds(Math.Clamp(ChangeFeedEndpoint.ParseWholeNumber(ms, "heartbeat_ms")!.Value, 100, 60_000)) : fallback;

    /// <summary>
    /// Starts a feed response; its token ends with the reader's connection, the server, or the reader's
    /// token: revoked or rolled, it ends the stream within <see cref="RevocationCheck"/> (at an edge, within
    /// its token cache TTL more, the time it trusts an answer about a token).
    /// </summary>
    public static FeedScope Start(HttpContext context, Microsoft.Extensions.Hosting.IHostApplicationLifetime lifetime, bool sse = false)
    {
        var response = context.Response;
        response.ContentType = sse ? "text/event-stream" : "application/x-ndjson";
        response.Headers.CacheControl = "no-store";
        var scope = new FeedScope(CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping));
        if (Rest.TokenAuthenticator.RequestToken(context.Request) is { } token)
            scope.EndWhenRevoked(token, context.RequestServices.GetRequiredService<Rest.ICallerAuthenticator>());
        return scope;
    }

    /// <summary>How often an open feed or watch checks that its token still stands.</summary>
    public static readonly TimeSpan RevocationCheck = TimeSpan.FromSeconds(1);

    /// <summary>A feed response's lifetime: its cancellation, and the check of its token.</summary>
    public sealed class FeedScope(CancellationTokenSource stop) : IDisposable
    {
        private readonly PeriodicTimer _timer = new(RevocationCheck);

        public CancellationToken Token { get; } = stop.Token;

        public void EndWhenRevoked(string token, Rest.ICallerAuthenticator authenticator) => _ = Task.Run(async () =>
        {
            try
            {
                while (await _timer.WaitForNextTickAsync(Token))
                {
                    bool stands;
                    try
                    {
                        stands = await authenticator.AuthenticateAsync(token, Token) is not null;
                    }
                    catch (Kivi.Protocol.KvException)
                    {
                        stands = false; // an edge that can no longer vouch for the token (outage past its grace)
                    }
                    if (!stands)
                    {
                        stop.Cancel();
                        return;
                    }
                }
            }
            catch (OperationCanceledException) { }
            catch (ObjectDisposedException) { }
        });

        public void Dispose()
        {
            _timer.Dispose(); // ends the check's loop: WaitForNextTickAsync answers false
            stop.Dispose();
        }
    }

    /// <summary>
    /// One line; as a server-sent event when <paramref name="sse"/> (<c>id</c> the version the reader has
    /// seen everything up to, <c>event</c> the line's type, <c>data</c> the same JSON).
    /// </summary>
    public static async Task WriteAsync(HttpResponse response, FeedEvent e, bool sse, CancellationToken ct)
    {
        if (sse)
        {
            long id = e.Kind is FeedEventKind.Heartbeat or FeedEventKind.Reset ? e.Head : e.Version;
            string type = e.Kind switch { FeedEventKind.Heartbeat => "heartbeat", FeedEventKind.Reset => "reset", _ => "change" };
            response.BodyWriter.Write(System.Text.Encoding.UTF8.GetBytes($"id: {id}\nevent: {type}\ndata: "));
        }
        using (var w = new Utf8JsonWriter(response.BodyWriter, WriterOptions))
        {
            w.WriteStartObject();
            switch (e.Kind)
            {
                case FeedEventKind.Heartbeat or FeedEventKind.Reset:
                    w.WriteString("type", e.Kind == FeedEventKind.Heartbeat ? "heartbeat" : "reset");
                    w.WriteNumber("head", e.Head);
                    if (e.Lineage is { } lineage)
                    {
                        w.WriteString("store", lineage.StoreId);
                        lineage.WriteHistory(w);
                    }
                    break;
                default:
                    w.WriteString("type", "change");
                    w.WriteNumber("version", e.Version);
                    w.WriteNumber("head", e.Head);
                    if (e.AccountId is { } account) w.WriteString("account", account);
                    w.WriteString("namespace", e.NamespaceId);
                    if (e.Key is { } key) w.WriteString("key", key);
                    w.WriteString("kind", e.Kind switch
                    {
                        FeedEventKind.Put => "put",
                        FeedEventKind.Delete => "delete",
                        FeedEventKind.Expire => "expire",
                        _ => "namespace_dropped",
                    });
                    if (e.Expiration is { } expiration) w.WriteNumber("expiration", expiration);
                    if (e.Value is { } value)
                    {
                        w.WriteBase64String("value", value);
                        w.WritePropertyName("metadata");
                        if (e.Metadata is null) w.WriteNullValue();
                        else w.WriteRawValue(e.Metadata, skipInputValidation: true);
                    }
                    break;
            }
            w.WriteEndObject();
        }
        response.BodyWriter.Write(sse ? "\n\n"u8 : "\n"u8);
        await response.BodyWriter.FlushAsync(ct);
    }
}
