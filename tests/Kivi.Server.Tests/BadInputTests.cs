using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Kivi.Server.Tests;

/// <summary>Hostile and malformed input: always a 4xx envelope that says what was wrong, never a 5xx, and nothing stored.</summary>
public sealed partial class BadInputTests(KiviServerFixture server) : IClassFixture<KiviServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static string Ns(string id) => $"{KiviServerFixture.Namespaces}/{id}";

    /// <summary>Sends a request, checks the refusal, and checks that the namespace is still empty.</summary>
    private async Task<Api> Refused(string ns, HttpMethod method, string path, HttpContent? content, HttpStatusCode status, string messagePart)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        using var response = await server.Client.SendAsync(request, Ct);
        var body = await Api.ReadAsync(response);
        Assert.True(status == body.Status, $"{method} {path}: expected {(int)status}, got {(int)body.Status}: {body.Raw}");
        Assert.False(body.Success);
        Assert.Contains(messagePart, body.ErrorMessage, StringComparison.Ordinal);
        await AssertEmpty(ns);
        return body;
    }

    private async Task AssertEmpty(string ns)
    {
        using var keys = await server.Client.GetAsync($"{Ns(ns)}/keys", Ct);
        var list = await Api.ReadAsync(keys);
        Assert.True(list.Result.GetArrayLength() == 0, "something was stored: " + list.Raw);
    }

    [Fact]
    public async Task Oversize_keys_values_and_metadata_are_refused_with_their_limits()
    {
        string ns = await server.CreateNamespaceAsync();
        await Refused(ns, HttpMethod.Put, $"{Ns(ns)}/values/{new string('k', 513)}", new StringContent("v"), HttpStatusCode.RequestUriTooLong,
            "UTF-8 encoded length of 513 exceeds key length limit of 512.");
        await Refused(ns, HttpMethod.Get, $"{Ns(ns)}/values/{new string('k', 513)}", null, HttpStatusCode.RequestUriTooLong, "limit of 512");
        await Refused(ns, HttpMethod.Put, $"{Ns(ns)}/values/big", new ByteArrayContent(new byte[26_214_401]), HttpStatusCode.RequestEntityTooLarge,
            "Value length of 26214401 exceeds limit of 26214400.");
        // Without a Content-Length the limit is enforced while streaming.
        await Refused(ns, HttpMethod.Put, $"{Ns(ns)}/values/big", new StreamContent(new ChunkedStream(26_214_401)), HttpStatusCode.RequestEntityTooLarge,
            "exceeds limit of 26214400.");
        using var form = new MultipartFormDataContent { { new StringContent("v"), "value" }, { new StringContent("\"" + new string('m', 1100) + "\""), "metadata" } };
        await Refused(ns, HttpMethod.Put, $"{Ns(ns)}/values/m", form, HttpStatusCode.RequestEntityTooLarge, "Metadata length of 1102 exceeds limit of 1024.");
        var bulk = Enumerable.Range(0, 10_001).Select(i => new { key = $"k{i}", value = "v" }).ToArray();
        await Refused(ns, HttpMethod.Put, $"{Ns(ns)}/bulk", KiviServerFixture.Json(bulk), HttpStatusCode.BadRequest, "max allowed per request is: 10000");
        await Refused(ns, HttpMethod.Post, $"{Ns(ns)}/bulk/get", KiviServerFixture.Json(new { keys = Enumerable.Range(0, 101).Select(i => $"k{i}") }), HttpStatusCode.BadRequest,
            "You can request a maximum of 100 keys");
    }

    [Fact]
    public async Task Malformed_json_and_multipart_bodies_are_refused()
    {
        string ns = await server.CreateNamespaceAsync();
        StringContent Raw(string text, string type = "application/json") => new(text, Encoding.UTF8, type);
        await Refused(ns, HttpMethod.Put, $"{Ns(ns)}/bulk", Raw("[{\"key\":\"a\",\"value\":"), HttpStatusCode.BadRequest, "Malformed JSON");
        await Refused(ns, HttpMethod.Put, $"{Ns(ns)}/bulk", Raw("{\"key\":\"a\"}"), HttpStatusCode.BadRequest, "Malformed JSON");
        await Refused(ns, HttpMethod.Put, $"{Ns(ns)}/bulk", Raw("[{\"key\":\"a\"}]"), HttpStatusCode.BadRequest, "\"value\" is required");
        await Refused(ns, HttpMethod.Put, $"{Ns(ns)}/bulk", Raw("[null]"), HttpStatusCode.BadRequest, "Item 0");
        // fine items read while checking, then a bad one: the exact reading names it, and nothing of the body is written
        await Refused(ns, HttpMethod.Put, $"{Ns(ns)}/bulk", Raw("[{\"key\":\"a\",\"value\":\"v\"},{\"key\":\"b\",\"value\":\"v\",\"metadata\":{}},{\"key\":\"..\",\"value\":\"v\"}]"), HttpStatusCode.BadRequest, "(item 2, key \"..\")");
        await Refused(ns, HttpMethod.Put, $"{Ns(ns)}/bulk", Raw("[{\"key\":\"a\",\"value\":\"%%%\",\"base64\":true}]"), HttpStatusCode.BadRequest, "base64");
        await Refused(ns, HttpMethod.Put, $"{Ns(ns)}/bulk", Raw("[{\"key\":\"a\",\"value\":\"v\",\"expiration_ttl\":\"soon\"}]"), HttpStatusCode.BadRequest, "Invalid expiration_ttl of soon");
        await Refused(ns, HttpMethod.Put, $"{Ns(ns)}/bulk", Raw("[{\"key\":\"a\",\"value\":\"v\",\"expiration_ttl\":{}}]"), HttpStatusCode.BadRequest, "must be a number");
        await Refused(ns, HttpMethod.Post, $"{Ns(ns)}/bulk/delete", Raw("[1,2]"), HttpStatusCode.BadRequest, "Malformed JSON");
        await Refused(ns, HttpMethod.Post, $"{Ns(ns)}/bulk/get", Raw("{\"keys\":[\"a\"],\"type\":\"stream\"}"), HttpStatusCode.BadRequest, "\"stream\" is not a valid type");
        await Refused(ns, HttpMethod.Post, $"{Ns(ns)}/bulk/get", Raw(""), HttpStatusCode.BadRequest, "body is empty");
        await Refused(ns, HttpMethod.Post, KiviServerFixture.Namespaces, Raw("{\"title\":"), HttpStatusCode.BadRequest, "Malformed JSON");
        await Refused(ns, HttpMethod.Post, KiviServerFixture.Namespaces, Raw("{\"title\":\"\"}"), HttpStatusCode.BadRequest, "title must be 1 to 512");
        await Refused(ns, HttpMethod.Post, KiviServerFixture.Namespaces, Raw("{\"title\":\"" + new string('t', 513) + "\"}"), HttpStatusCode.BadRequest, "title must be 1 to 512");

        var noBoundary = new StringContent("--x\r\n", Encoding.UTF8);
        noBoundary.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("multipart/form-data");
        await Refused(ns, HttpMethod.Put, $"{Ns(ns)}/values/mp", noBoundary, HttpStatusCode.BadRequest, "no boundary");
        var truncated = new StringContent("--b\r\nContent-Disposition: form-data; name=\"value\"\r\n\r\nabc", Encoding.UTF8);
        truncated.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse("multipart/form-data; boundary=b");
        await Refused(ns, HttpMethod.Put, $"{Ns(ns)}/values/mp", truncated, HttpStatusCode.BadRequest, "");
        using var noValue = new MultipartFormDataContent { { new StringContent("{}"), "metadata" } };
        await Refused(ns, HttpMethod.Put, $"{Ns(ns)}/values/mp", noValue, HttpStatusCode.BadRequest, "part named \"value\"");
        using var badMeta = new MultipartFormDataContent { { new StringContent("v"), "value" }, { new StringContent("{nope"), "metadata" } };
        await Refused(ns, HttpMethod.Put, $"{Ns(ns)}/values/mp", badMeta, HttpStatusCode.BadRequest, "Metadata must be valid JSON");
    }

    [Fact]
    public async Task Invalid_utf8_in_keys_and_bodies_is_refused()
    {
        string ns = await server.CreateNamespaceAsync();
        await Refused(ns, HttpMethod.Put, $"{Ns(ns)}/values/bad%FFkey", new StringContent("v"), HttpStatusCode.BadRequest, "Could not URL-decode key name");
        await Refused(ns, HttpMethod.Put, $"{Ns(ns)}/values/bad%C3", new StringContent("v"), HttpStatusCode.BadRequest, "Could not URL-decode key name");
        await Refused(ns, HttpMethod.Put, $"{Ns(ns)}/values/%ED%A0%80", new StringContent("v"), HttpStatusCode.BadRequest, "Could not URL-decode key name");
        var bytes = new ByteArrayContent([(byte)'[', (byte)'"', 0xFF, (byte)'"', (byte)']']);
        bytes.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        await Refused(ns, HttpMethod.Post, $"{Ns(ns)}/bulk/delete", bytes, HttpStatusCode.BadRequest, "Malformed JSON");
        await Refused(ns, HttpMethod.Put, $"{Ns(ns)}/bulk", new StringContent("[{\"key\":\"\\ud800\",\"value\":\"v\"}]", Encoding.UTF8, "application/json"), HttpStatusCode.BadRequest, "Malformed JSON");
    }

    [Theory]
    [InlineData("expiration_ttl=-1", "Invalid expiration_ttl of -1. Please specify integer greater than 0.")]
    [InlineData("expiration_ttl=abc", "Invalid expiration_ttl of abc. Please specify integer greater than 0.")]
    [InlineData("expiration_ttl=59", "Invalid expiration_ttl of 59. Expiration TTL must be at least 60.")]
    [InlineData("expiration_ttl=1e3", "Invalid expiration_ttl of 1e3.")]
    [InlineData("expiration_ttl=99999999999999999999999999", "Expiration TTL must be at most")]
    [InlineData("expiration=-5", "Invalid expiration of -5. Please specify integer greater than the current number of seconds since the UNIX epoch.")]
    [InlineData("expiration=1", "Invalid expiration of 1. Please specify integer greater than the current number of seconds since the UNIX epoch.")]
    [InlineData("expiration=NaN", "Invalid expiration of NaN.")]
    [InlineData("expiration=99999999999999999999999999", "Expiration times must be at most 253402300799")]
    public async Task Bad_expirations_are_refused_with_workers_kv_texts(string query, string message)
    {
        string ns = await server.CreateNamespaceAsync();
        await Refused(ns, HttpMethod.Put, $"{Ns(ns)}/values/k?{query}", new StringContent("v"), HttpStatusCode.BadRequest, message);
    }

    [Theory]
    [InlineData("limit=1001", "Invalid key_count_limit of 1001. Please specify an integer less than 1000.")]
    [InlineData("limit=5", "Invalid key_count_limit of 5. Please specify an integer greater than 9.")]
    [InlineData("limit=-3", "Invalid key_count_limit of -3.")]
    [InlineData("limit=ten", "Invalid key_count_limit of ten.")]
    [InlineData("limit=99999999999999999999", "Invalid key_count_limit of 99999999999999999999. Please specify an integer less than 1000.")]
    [InlineData("cursor=%25%25%25", "Invalid cursor")]
    public async Task Bad_list_parameters_are_refused(string query, string message)
    {
        string ns = await server.CreateNamespaceAsync();
        await Refused(ns, HttpMethod.Get, $"{Ns(ns)}/keys?{query}", null, HttpStatusCode.BadRequest, message);
    }

    [Theory]
    [InlineData("page=0")]
    [InlineData("page=-1")]
    [InlineData("per_page=100000")]
    [InlineData("page=abc")]
    [InlineData("order=size")]
    [InlineData("direction=up")]
    [InlineData("page=99999999999")]
    public async Task Bad_namespace_list_parameters_are_refused(string query)
    {
        string ns = await server.CreateNamespaceAsync();
        await Refused(ns, HttpMethod.Get, $"{KiviServerFixture.Namespaces}?{query}", null, HttpStatusCode.BadRequest, "");
    }

    [Theory]
    [InlineData("PUT", "/values/..", 400, "Illegal key name \"..\"")]
    [InlineData("PUT", "/values/.", 400, "Illegal key name \".\"")]
    [InlineData("PUT", "/values/%2E%2E", 400, "Illegal key name \"..\"")]
    [InlineData("GET", "/metadata/%2e", 400, "Illegal key name \".\"")]
    [InlineData("PUT", "/values/a/../../../bulk", 400, "segment")]
    [InlineData("DELETE", "/values/..", 400, "Illegal key name")] // without the guard this is DELETE /namespaces/{id}
    [InlineData("DELETE", "/values/%2e%2e", 400, "Illegal key name")]
    [InlineData("DELETE", "/values/x/%2E%2E/%2E%2E", 400, "segment")]
    [InlineData("PUT", "/values/bad%zzkey", 400, "Could not URL-decode key name")]
    [InlineData("PUT", "/values/bad%", 400, "Could not URL-decode key name")]
    [InlineData("PUT", "/values/", 400, "Key names must not be empty")]
    [InlineData("GET", "/../keys", 400, "segment")]
    [InlineData("GET", "%2F..%2F/keys", 404, "namespace not found")]
    public async Task Path_tricks_never_reach_another_route_or_store_anything(string method, string suffix, int status, string message)
    {
        string ns = await server.CreateNamespaceAsync();
        var (code, body) = await RawHttp.SendAsync(server.BaseAddress, method, Ns(ns) + suffix, KiviServerFixture.Token, "v");
        Assert.True(code == status, $"{method} {suffix}: {code} {body}");
        Assert.False(body.GetProperty("success").GetBoolean());
        Assert.Contains(message, body.GetProperty("errors")[0].GetProperty("message").GetString(), StringComparison.Ordinal);
        using var still = await server.Client.GetAsync(Ns(ns), Ct);
        Assert.Equal(HttpStatusCode.OK, still.StatusCode);
        await AssertEmpty(ns);
    }

    [Fact]
    public async Task Unknown_accounts_and_namespaces_are_refused_on_writes_too()
    {
        string ns = await server.CreateNamespaceAsync();
        await Refused(ns, HttpMethod.Put, $"/client/v4/accounts/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb/storage/kv/namespaces/{ns}/values/k", new StringContent("v"), HttpStatusCode.NotFound, "Could not route");
        await Refused(ns, HttpMethod.Post, "/client/v4/accounts/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb/storage/kv/namespaces", KiviServerFixture.Json(new { title = "x" }), HttpStatusCode.NotFound, "Could not route");
        await Refused(ns, HttpMethod.Put, $"{Ns("0000")}/values/k", new StringContent("v"), HttpStatusCode.NotFound, "namespace not found");
    }

    [Fact]
    public async Task A_raw_request_with_a_broken_request_line_gets_a_4xx()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.BaseAddress.Host, server.BaseAddress.Port, Ct);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {Ns("x")}/values/a b HTTP/1.1\r\nHost: x\r\n\r\n"), Ct);
        var buffer = new byte[256];
        int read = await stream.ReadAsync(buffer, Ct);
        string status = Encoding.ASCII.GetString(buffer, 0, read);
        Assert.StartsWith("HTTP/1.1 4", status, StringComparison.Ordinal);
    }

    /// <summary>A body of a given length with no Content-Length, so it goes chunked.</summary>
    private sealed class ChunkedStream(long length) : Stream
    {
        private long _left = length;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = (int)Math.Min(count, _left);
            Array.Fill(buffer, (byte)'x', offset, n);
            _left -= n;
            return n;
        }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
