using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace Kivi.Testing;

/// <summary>
/// An OTLP/HTTP trace receiver on a loopback port: keeps every export body (protobuf) it is sent, so a test can look
/// for a trace id in what each node exported.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<byte[]> _exports = new();

    private OtlpReceiver(WebApplication app) => _app = app;

    public Uri Address { get; private set; } = null!;

    public IReadOnlyCollection<byte[]> Exports => _exports;

    public static async Task<OtlpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new OtlpReceiver(app);
        app.MapPost("/v1/traces", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            receiver._exports.Enqueue(body.ToArray());
            context.Response.ContentType = "application/x-protobuf";
        });
        await app.StartAsync();
        receiver.Address = new Uri(app.Urls.First());
        return receiver;
    }

    /// <summary>Whether any export holds the 16 bytes of <paramref name="traceId"/> (32 hex digits).</summary>
    public bool Saw(string traceId)
    {
        var id = Convert.FromHexString(traceId);
        return _exports.Any(e => e.AsSpan().IndexOf(id) >= 0);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
