using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Kivi.Server.Tests;

/// <summary>
/// Hostile input found by probing from outside (issue 14): each refused with a 4xx that names the problem
/// and the limit, and nothing stored.
/// </summary>
public sealed partial class BadInputTests
{
    private static MultipartFormDataContent Form(params (string Name, byte[] Body)[] parts)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, body) in parts) form.Add(new ByteArrayContent(body), name);
        return form;
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFE })]
    [InlineData(new byte[] { (byte)'"', 0xED, 0xA0, 0x80, (byte)'"' })] // an encoded surrogate
    public async Task Metadata_that_is_not_utf8_is_refused_not_stored_with_replacement_characters(byte[] metadata)
    {
        string ns = await server.CreateNamespaceAsync();
        await Refused(ns, HttpMethod.Put, $"{Ns(ns)}/values/k", Form(("value", "v"u8.ToArray()), ("metadata", metadata)), HttpStatusCode.BadRequest, "invalid UTF-8 sequence");
    }

    [Fact]
    public async Task Anything_after_the_json_body_refuses_the_whole_request()
    {
        string ns = await server.CreateNamespaceAsync();
        StringContent Raw(string text) => new(text, Encoding.UTF8, "application/json");
        await Refused(ns, HttpMethod.Put, $"{Ns(ns)}/bulk", Raw("[{\"key\":\"k\",\"value\":\"v\"}] }}}not json"), HttpStatusCode.BadRequest, "Malformed JSON");
        await Refused(ns, HttpMethod.Put, $"{Ns(ns)}/bulk", Raw("[{\"key\":\"k\",\"value\":\"v\"}][{\"key\":\"k2\",\"value\":\"v\"}]"), HttpStatusCode.BadRequest, "Malformed JSON");
        await Refused(ns, HttpMethod.Post, $"{Ns(ns)}/bulk/delete", Raw("[\"k\"] x"), HttpStatusCode.BadRequest, "Malformed JSON");
    }

    [Fact]
    public async Task Metadata_as_form_fields_unknown_parts_and_repeated_parts_are_refused_not_dropped()
    {
        string ns = await server.CreateNamespaceAsync();
        // What the Cloudflare SDK sends for metadata given as an object.
        await Refused(ns, HttpMethod.Put, $"{Ns(ns)}/values/k", Form(("value", "v"u8.ToArray()), ("metadata[by]", "sdk"u8.ToArray())), HttpStatusCode.BadRequest,
            "send it as one part named \"metadata\" holding JSON");
        await Refused(ns, HttpMethod.Put, $"{Ns(ns)}/values/k", Form(("value", "v"u8.ToArray()), ("extra", "x"u8.ToArray())), HttpStatusCode.BadRequest, "Unknown multipart part \"extra\"");
        await Refused(ns, HttpMethod.Put, $"{Ns(ns)}/values/k", Form(("value", "one"u8.ToArray()), ("value", "two"u8.ToArray())), HttpStatusCode.BadRequest, "\"value\" appears more than once");
        await Refused(ns, HttpMethod.Put, $"{Ns(ns)}/values/k", Form(("value", "v"u8.ToArray()), ("metadata", "1"u8.ToArray()), ("metadata", "2"u8.ToArray())), HttpStatusCode.BadRequest,
            "\"metadata\" appears more than once");
        await Refused(ns, HttpMethod.Put, $"{Ns(ns)}/values/k?expiration_ttl=100&expiration_ttl=200", new StringContent("v"), HttpStatusCode.BadRequest,
            "\"expiration_ttl\" is given 2 times");
    }

    [Fact]
    public async Task A_key_with_nul_is_refused_by_every_route()
    {
        string ns = await server.CreateNamespaceAsync();
        await Refused(ns, HttpMethod.Put, $"{Ns(ns)}/bulk", KiviServerFixture.Json(new[] { new { key = "a\0b", value = "v" } }), HttpStatusCode.BadRequest, "must not contain U+0000");
        using var binding = new HttpRequestMessage(HttpMethod.Put, "/a%00b?urlencoded=true") { Content = new StringContent("v") };
        binding.Headers.Add("X-Kivi-Namespace", ns);
        using var answer = await server.Client.SendAsync(binding, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode); // refused by Kestrel itself: %00 is no path
        await Refused(ns, HttpMethod.Post, $"{Ns(ns)}/bulk/get", KiviServerFixture.Json(new { keys = new[] { "a\0b" } }), HttpStatusCode.BadRequest, "must not contain U+0000");
    }

    [Fact]
    public async Task Messages_name_the_actual_problem_and_limit()
    {
        string ns = await server.CreateNamespaceAsync(), other = await server.CreateNamespaceAsync();
        var (status, body) = await RawHttp.SendAsync(server.BaseAddress, "GET", $"{Ns(ns)}/%2e%2e/{other}/values/k", KiviServerFixture.Token);
        Assert.Equal(400, status);
        Assert.Contains("\"..\" segment", body.GetProperty("errors")[0].GetProperty("message").GetString(), StringComparison.Ordinal);

        // A percent-encoded namespace id is the same namespace.
        using (var put = await server.Client.PutAsync($"{Ns(ns)}/values/k", new StringContent("v"), Ct)) Assert.True(put.IsSuccessStatusCode);
        string encoded = string.Concat(ns.Select(c => $"%{(int)c:X2}"));
        (status, _) = await RawHttp.SendAsync(server.BaseAddress, "GET", $"{KiviServerFixture.Namespaces}/{encoded}/metadata/k", KiviServerFixture.Token);
        Assert.Equal(200, status);
        using (var delete = await server.Client.DeleteAsync($"{Ns(ns)}/values/k", Ct)) Assert.True(delete.IsSuccessStatusCode);

        string deep = new string('[', 65) + new string(']', 65);
        await Refused(ns, HttpMethod.Put, $"{Ns(ns)}/values/k", Form(("value", "v"u8.ToArray()), ("metadata", Encoding.UTF8.GetBytes(deep))), HttpStatusCode.BadRequest,
            "more than 64 levels deep; the limit is 64");
        await Refused(ns, HttpMethod.Post, $"{Ns(ns)}/bulk/get", new StringContent("{\"keys\":[\"a\"],\"cacheTtl\":1e309}", Encoding.UTF8, "application/json"), HttpStatusCode.BadRequest,
            "Invalid cache_ttl of 1e309. Cache TTL must be a whole number of seconds, at least 30.");
        await Refused(ns, HttpMethod.Get, $"{Ns(ns)}/keys?limit=1001", null, HttpStatusCode.BadRequest, "Please specify an integer less than 1000. (The limit is 1000: 1000 itself is accepted.)");
        await Refused(ns, HttpMethod.Get, $"{Ns(ns)}/keys?prefix=%ED%A0%80", null, HttpStatusCode.BadRequest, "prefix is not valid UTF-8");
    }

    [Fact]
    public async Task Oversize_targets_and_headers_get_the_envelope_with_the_limit()
    {
        string ns = await server.CreateNamespaceAsync();
        var (status, body) = await RawHttp.SendAsync(server.BaseAddress, "GET", $"{Ns(ns)}/values/{new string('a', 9000)}", KiviServerFixture.Token);
        Assert.Equal(414, status);
        Assert.Contains("limit of 8,192 bytes", body.GetProperty("errors")[0].GetProperty("message").GetString(), StringComparison.Ordinal);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{Ns(ns)}/keys");
        request.Headers.TryAddWithoutValidation("X-Padding", new string('p', 40_000));
        using var response = await server.Client.SendAsync(request, Ct);
        var refused = await Api.ReadAsync(response);
        Assert.Equal((HttpStatusCode)431, refused.Status);
        Assert.Contains("limit of 32,768 bytes", refused.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_binding_protocol_answers_a_foreign_namespace_as_it_answers_an_unknown_one()
    {
        string mine = await server.CreateNamespaceAsync();
        using var created = await server.Client.PostAsync("/client/v4/accounts", KiviServerFixture.Json(new { name = "oracle" }), Ct);
        string other = (await Api.ReadAsync(created)).Result.GetProperty("id").GetString()!;
        using var otherNs = await server.Client.PostAsync($"/client/v4/accounts/{other}/storage/kv/namespaces", KiviServerFixture.Json(new { title = "theirs" }), Ct);
        string theirs = (await Api.ReadAsync(otherNs)).Result.GetProperty("id").GetString()!;
        using var issued = await server.Client.PostAsync($"/client/v4/accounts/{KiviServerFixture.AccountId}/tokens", KiviServerFixture.Json(new { name = "oracle", permission = "read" }), Ct);
        string token = (await Api.ReadAsync(issued)).Result.GetProperty("value").GetString()!;
        async Task<(HttpStatusCode, string?)> Ask(string ns)
        {
            using var client = server.NewClient(token);
            using var request = new HttpRequestMessage(HttpMethod.Get, "/k?urlencoded=true");
            request.Headers.Add("X-Kivi-Namespace", ns);
            using var response = await client.SendAsync(request, Ct);
            return (response.StatusCode, response.ReasonPhrase);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await Ask(mine)).Item1);
        Assert.Equal(await Ask("0123456789abcdef0123456789abcdef"), await Ask(theirs));
    }

    [Fact]
    public async Task A_regenerated_admin_token_is_logged_as_generated_not_as_a_first_start()
    {
        string data = Directory.CreateTempSubdirectory("kivi-token-log-").FullName;
        try
        {
            await using (var first = await ServerProcess.StartAsync(data)) Assert.Contains("since the data folder held none", first.Output, StringComparison.Ordinal);
            File.Delete(Path.Combine(data, "admin-token"));
            await using var second = await ServerProcess.StartAsync(data);
            Assert.DoesNotContain("first start", second.Output, StringComparison.Ordinal);
            Assert.Contains("Admin token generated", second.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}
