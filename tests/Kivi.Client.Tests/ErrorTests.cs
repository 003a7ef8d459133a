using System.Text.Json;
using Kivi.Protocol;

namespace Kivi.Client.Tests;

/// <summary>Every failure is one exception type with the REST API's status, code and message.</summary>
public sealed class ErrorTests(KiviServerFixture server) : IClassFixture<KiviServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A client of a port nothing listens on: any error other than 503 was raised before sending.</summary>
    private static KiviClient Offline() => new(new KiviClientOptions
    {
        Url = new Uri("http://127.0.0.1:9/"),
        Token = "unused",
        AccountId = KiviServerFixture.AccountId,
        MaxRetries = 0,
    });

    private static async Task<KvException> Refused(Func<Task> call) => await Assert.ThrowsAsync<KvException>(call);

    [Fact]
    public async Task Limits_are_checked_before_a_request_is_sent_with_the_servers_messages()
    {
        await using var client = Offline();
        var kv = client.GetNamespace(new KvNamespaceOptions { NamespaceId = new string('a', 32), Cache = false });
        var cases = new (Func<Task> Call, int Status, int Code, string Message)[]
        {
            (() => kv.PutAsync("", "v", cancellationToken: Ct), 400, KvErrorCode.InvalidKey, "Key names must not be empty"),
            (() => kv.PutAsync(new string('k', 513), "v", cancellationToken: Ct), 414, KvErrorCode.InvalidKey, "UTF-8 encoded length of 513 exceeds key length limit of 512."),
            (() => kv.GetStringAsync("..", cancellationToken: Ct).AsTask(), 400, KvErrorCode.InvalidKey, "Illegal key name \"..\". Please use a different name."),
            (() => kv.PutAsync("k", new byte[26_214_401], cancellationToken: Ct), 413, KvErrorCode.ValueTooLarge, "Value length of 26214401 exceeds limit of 26214400."),
            (() => kv.PutAsync("k", "v", new KvPutOptions { Metadata = JsonDocument.Parse($"\"{new string('m', 1023)}\"").RootElement }, Ct), 413, KvErrorCode.InvalidMetadata, "Metadata length of 1025 exceeds limit of 1024."),
            (() => kv.PutAsync("k", "v", new KvPutOptions { ExpirationTtl = TimeSpan.FromSeconds(30) }, Ct), 400, KvErrorCode.InvalidExpiration, "Invalid expiration_ttl of 30. Expiration TTL must be at least 60."),
            (() => kv.PutAsync("k", "v", new KvPutOptions { Expiration = DateTimeOffset.FromUnixTimeSeconds(1000) }, Ct), 400, KvErrorCode.InvalidExpiration, "Invalid expiration of 1000. Please specify integer greater than the current number of seconds since the UNIX epoch."),
            (() => kv.ListAsync(new KvListOptions { Limit = 0 }, Ct), 400, KvErrorCode.InvalidListOrBulkOption, "Invalid key_count_limit of 0. Please specify an integer greater than 0."),
            (() => kv.ListAsync(new KvListOptions { Limit = 1001 }, Ct), 400, KvErrorCode.InvalidListOrBulkOption, "Invalid key_count_limit of 1001. Please specify an integer less than 1000."),
            (() => kv.ListAsync(new KvListOptions { Cursor = "not a cursor!" }, Ct), 400, KvErrorCode.InvalidListOrBulkOption, "Invalid cursor: pass back the cursor of a previous page unchanged."),
            (() => kv.GetManyAsync(Enumerable.Range(0, 101).Select(i => $"k{i}"), cancellationToken: Ct), 400, KvErrorCode.TooManyBulkItems, "You can request a maximum of 100 keys"),
            (() => kv.GetStringAsync("k", new KvReadOptions { CacheTtl = TimeSpan.FromSeconds(10) }, Ct).AsTask(), 400, KvErrorCode.InvalidRequest, "Invalid cache_ttl of 10. Cache TTL must be at least 30."),
        };
        foreach (var (call, status, code, message) in cases)
        {
            var e = await Refused(call);
            Assert.Equal((status, code, message), (e.StatusCode, e.Code, e.Message));
        }
    }

    [Fact]
    public async Task An_unreachable_server_is_a_503_that_names_it()
    {
        await using var client = Offline();
        var kv = client.GetNamespace(new KvNamespaceOptions { NamespaceId = new string('a', 32), Cache = false });
        var e = await Refused(() => kv.GetStringAsync("k", cancellationToken: Ct).AsTask());
        Assert.Equal((503, KvErrorCode.UpstreamUnavailable), (e.StatusCode, e.Code));
        Assert.Contains("127.0.0.1:9", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tokens_and_namespaces_are_refused_with_cloudflares_codes()
    {
        string ns = await server.CreateNamespaceAsync();
        await using (var wrong = Server.Client(server, "not-a-token"))
        {
            var e = await Refused(() => wrong.GetNamespace(new KvNamespaceOptions { NamespaceId = ns, Cache = false }).GetStringAsync("k", cancellationToken: Ct).AsTask());
            Assert.Equal((403, KvErrorCode.AuthenticationError, "Authentication error"), (e.StatusCode, e.Code, e.Message));
        }
        string reader = await Server.TokenAsync(server, "read", ns);
        await using (var client = Server.Client(server, reader))
        {
            var kv = client.GetNamespace(new KvNamespaceOptions { NamespaceId = ns, Cache = false });
            Assert.Null(await kv.GetStringAsync("k", cancellationToken: Ct));
            var e = await Refused(() => kv.PutAsync("k", "v", cancellationToken: Ct));
            Assert.Equal((403, KvErrorCode.AuthenticationError), (e.StatusCode, e.Code));
        }
        await using (var admin = Server.Client(server))
        {
            var e = await Refused(() => admin.GetNamespace(new KvNamespaceOptions { NamespaceId = new string('f', 32), Cache = false }).GetStringAsync("k", cancellationToken: Ct).AsTask());
            Assert.Equal((400, KvErrorCode.NamespaceNotFound), (e.StatusCode, e.Code));
        }
    }

    [Fact]
    public async Task Options_are_validated_with_messages_that_say_what_to_set()
    {
        var e = Assert.Throws<ArgumentException>(() => new KiviClient(new KiviClientOptions { Url = new Uri("ftp://x/"), Token = "" }));
        Assert.Contains("Kivi:Url must be an absolute http or https URL", e.Message, StringComparison.Ordinal);
        Assert.Contains("Kivi:Token is required", e.Message, StringComparison.Ordinal);
        await using var client = Server.Client(server);
        var bad = Assert.Throws<ArgumentException>(() => client.GetNamespace(new KvNamespaceOptions { NamespaceId = "nope", DefaultCacheTtl = TimeSpan.FromSeconds(5) }, "KV"));
        Assert.Contains("binding \"KV\" needs NamespaceId", bad.Message, StringComparison.Ordinal);
        Assert.Contains("DefaultCacheTtl must be at least 30 s", bad.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_account_is_found_from_the_token_when_not_configured()
    {
        await using var client = new KiviClient(new KiviClientOptions { Url = server.BaseAddress, Token = KiviServerFixture.Token });
        Assert.Equal(KiviServerFixture.AccountId, await client.GetAccountIdAsync(Ct));
    }
}
