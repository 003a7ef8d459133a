using Kivi.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Kivi.Server.Feed;

/// <summary>Writes change-feed lines (NDJSON), the same from an origin and from an edge relaying to the tier below.</summary>
internal static class FeedLines
{
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
    /// Writes one line without sending it yet (unless 64 KiB are waiting): a run of lines then goes out together with
    /// <see cref="SendAsync"/>, in one packet where it fits, waking its reader once rather than once a line.
    /// </summary>
    public static ValueTask AppendAsync(HttpResponse response, FeedEvent e, bool sse, CancellationToken ct)
    {
        var writer = response.BodyWriter;
        FeedLine.Write(writer, e, sse);
        return writer.CanGetUnflushedBytes && writer.UnflushedBytes < 64 * 1024 ? ValueTask.CompletedTask : SendAsync(response, ct);
    }

    /// <summary>Sends what <see cref="AppendAsync"/> wrote.</summary>
    public static async ValueTask SendAsync(HttpResponse response, CancellationToken ct) => await response.BodyWriter.FlushAsync(ct);

    /// <summary>Writes one line (<see cref="FeedLine"/>) and sends it.</summary>
    public static async Task WriteAsync(HttpResponse response, FeedEvent e, bool sse, CancellationToken ct)
    {
        FeedLine.Write(response.BodyWriter, e, sse);
        await response.BodyWriter.FlushAsync(ct);
    }
}
