using System.Net;
using Kivi.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Kivi.Client.Tests;

/// <summary>AddKivi / AddNamespace in a real host: keyed bindings, validation at start, retries only where safe.</summary>
public sealed class RegistrationTests(KiviServerFixture server) : IClassFixture<KiviServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Namespaces_resolve_by_binding_name_as_keyed_services()
    {
        string config = await server.CreateNamespaceAsync();
        string sessions = await server.CreateNamespaceAsync();
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddKivi(o =>
        {
            o.Url = server.BaseAddress;
            o.Token = KiviServerFixture.Token;
        }).AddNamespace("CONFIG", o => o.NamespaceId = config).AddNamespace("SESSIONS", o => { o.NamespaceId = sessions; o.Cache = false; });
        using var host = builder.Build();
        await host.StartAsync(Ct);
        var a = host.Services.GetRequiredKeyedService<IKvNamespace>("CONFIG");
        var b = host.Services.GetRequiredKeyedService<IKvNamespace>("SESSIONS");
        Assert.Same(a, host.Services.GetRequiredKeyedService<IKvNamespace>("CONFIG"));
        Assert.Equal((config, sessions), (a.NamespaceId, b.NamespaceId));
        await a.PutAsync("k", "in config", cancellationToken: Ct);
        Assert.Null(await b.GetStringAsync("k", cancellationToken: Ct));
        Assert.Equal("in config", await a.GetStringAsync("k", cancellationToken: Ct));
        await host.StopAsync(Ct);
    }

    [Fact]
    public async Task Invalid_options_stop_the_host_at_start_with_what_to_fix()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddKivi(o => o.Url = server.BaseAddress).AddNamespace("KV", o => o.NamespaceId = "not-an-id");
        using var host = builder.Build();
        var e = await Assert.ThrowsAsync<AggregateException>(() => host.StartAsync(Ct));
        Assert.All(e.InnerExceptions, inner => Assert.IsType<OptionsValidationException>(inner));
        Assert.Contains("Kivi:Token is required", e.Message, StringComparison.Ordinal);
        Assert.Contains("binding \"KV\" needs NamespaceId", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Idempotent_calls_are_retried_and_conditional_puts_are_not()
    {
        // A real Kestrel server that fails the first attempt of every request with a 503.
        var attempts = new Dictionary<string, int>();
        var flaky = WebApplication.CreateSlimBuilder();
        flaky.WebHost.UseUrls("http://127.0.0.1:0");
        await using var app = flaky.Build();
        app.Run(async context =>
        {
            string id = context.Request.Method + " " + context.Request.Path;
            int n;
            lock (attempts) n = attempts[id] = attempts.GetValueOrDefault(id) + 1;
            if (n == 1)
            {
                context.Response.StatusCode = 503;
                return;
            }
            context.Response.Headers[KiviHeaders.Version] = "7";
            if (HttpMethods.IsGet(context.Request.Method)) await context.Response.WriteAsync("hello");
        });
        await app.StartAsync(Ct);
        await using var client = new KiviClient(new KiviClientOptions
        {
            Url = new Uri(app.Urls.First()),
            Token = "t",
            AccountId = KiviServerFixture.AccountId,
            RetryDelay = TimeSpan.FromMilliseconds(1),
        });
        var kv = client.GetNamespace(new KvNamespaceOptions { NamespaceId = new string('a', 32), Cache = false });

        Assert.Equal("hello", await kv.GetStringAsync("read", cancellationToken: Ct));
        Assert.Equal(7, await kv.PutAsync("plain", "v", cancellationToken: Ct));
        Assert.Equal(7, await kv.DeleteAsync("gone", Ct));
        var e = await Assert.ThrowsAsync<KvException>(() => kv.PutAsync("cas", "v", new KvPutOptions { IfAbsent = true }, Ct));
        Assert.Equal(503, e.StatusCode);
        var s = await Assert.ThrowsAsync<KvException>(() => kv.PutAsync("stream", new NonSeekable(new MemoryStream("v"u8.ToArray())), cancellationToken: Ct));
        Assert.Equal(503, s.StatusCode);
        lock (attempts)
        {
            Assert.Equal(2, attempts["GET /read"]);
            Assert.Equal(2, attempts["PUT /plain"]);
            Assert.Equal(2, attempts["DELETE /gone"]);
            Assert.Equal(1, attempts["PUT /cas"]);
            Assert.Equal(1, attempts["PUT /stream"]);
        }
    }

    private sealed class NonSeekable(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
